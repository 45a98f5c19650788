import KioskCore
import Testing

@Suite("Resident ID number (GB 11643-1999)")
struct ResidentIDNumberTests {
    @Test func validNumber() throws {
        let id = try ResidentIDNumber(validating: "110101194605121231")
        #expect(id.value == "110101194605121231")
        #expect(id.birthDate == CalendarDate(year: 1946, month: 5, day: 12))
        #expect(id.isMale)
        #expect(id.regionCode == "110101")
        #expect(id.description == "110***********1231")
    }

    @Test func checkCharacterX() throws {
        // 11010519491231002X: the GB 11643 standard's own example (check character X).
        #expect(ResidentIDNumber.checkCharacter(forFirst17: "11010519491231002") == "X")
        let id = try ResidentIDNumber(validating: "11010519491231002x")
        #expect(id.value == "11010519491231002X")
        #expect(!id.isMale)
    }

    @Test(arguments: [
        ("110101194605121231", Character("1")), ("11010519491231002X", "X"), ("440524188001010014", "4"),
    ])
    func checkCharacters(number: String, check: Character) {
        #expect(ResidentIDNumber.checkCharacter(forFirst17: String(number.prefix(17))) == check)
    }

    /// Found by the `payload-classifier` fuzzer (Fuzz/): `"6"` followed by U+036C (a combining mark) is one
    /// `Character` that compares between "0" and "9", so it passed the digit check, and computing the check character
    /// trapped on `Int("6\u{036C}")!`. A scanned code, a card's `9F61` or an EF06 number could carry it.
    @Test func aDigitWithACombiningMarkIsNotADigit() {
        // The scanned line as the fuzzer sent it: "931586", CD AC (UTF-8 of U+036C), "198001010028".
        let line = String(decoding: Array("931586".utf8) + [0xCD, 0xAC] + Array("198001010028".utf8), as: UTF8.self)
        #expect(line.count == 18)
        #expect(throws: ResidentIDNumber.ValidationError.invalidCharacter) { try ResidentIDNumber(validating: line) }
        #expect(throws: ResidentIDNumber.ValidationError.invalidCharacter) {
            try ResidentIDNumber(validating: "110101460512123\u{0301}")
        }
        #expect(CalendarDate(yyyymmdd: "1980010\u{0301}1") == nil)
        #expect(throws: PAN.ValidationError.invalidCharacter) { try PAN(validating: "6\u{036C}22999990000000014") }
    }

    @Test func badCheckDigitReportsTheExpectedOne() {
        #expect(throws: ResidentIDNumber.ValidationError.badCheckDigit(expected: "1")) {
            try ResidentIDNumber(validating: "110101194605121232")
        }
        #expect(throws: ResidentIDNumber.ValidationError.badCheckDigit(expected: "X")) {
            try ResidentIDNumber(validating: "110105194912310021")
        }
    }

    @Test func fifteenDigitNumbersAreConverted() throws {
        // First-generation form: no century, no check character.
        let id = try ResidentIDNumber(validating: "110101460512123")
        #expect(id.value == "110101194605121231")
        #expect(try ResidentIDNumber(validating: "110105491231002").value == "11010519491231002X")
    }

    @Test func malformedNumbers() {
        #expect(throws: ResidentIDNumber.ValidationError.wrongLength(17)) {
            try ResidentIDNumber(validating: "11010119460512123")
        }
        #expect(throws: ResidentIDNumber.ValidationError.invalidCharacter) {
            try ResidentIDNumber(validating: "1101011946051212X1")
        }
        #expect(throws: ResidentIDNumber.ValidationError.invalidCharacter) {
            try ResidentIDNumber(validating: "11010119460512123A")
        }
        #expect(throws: ResidentIDNumber.ValidationError.invalidCharacter) {
            try ResidentIDNumber(validating: "11010146051212X")
        }
        // 1946-02-30 does not exist (check character computed for the 17 digits, so only the date is wrong).
        let first17 = "11010119460230123"
        let number = first17 + String(ResidentIDNumber.checkCharacter(forFirst17: first17))
        #expect(throws: ResidentIDNumber.ValidationError.invalidBirthDate) { try ResidentIDNumber(validating: number) }
    }

    @Test func surroundingSpacesAndNULsAreIgnored() throws {
        #expect(try ResidentIDNumber(validating: " 110101194605121231\0\0").value == "110101194605121231")
    }

    @Test func leapDays() {
        #expect(CalendarDate(yyyymmdd: "20000229") != nil)
        #expect(CalendarDate(yyyymmdd: "19000229") == nil)
        #expect(CalendarDate(yyyymmdd: "19480229") != nil)
        #expect(CalendarDate(yyyymmdd: "1948022") == nil)
        #expect(CalendarDate(year: 1946, month: 5, day: 12)?.description == "1946-05-12")
    }
}
