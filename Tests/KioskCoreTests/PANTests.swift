import KioskCore
import Testing

@Suite("PAN (ISO/IEC 7812 Luhn)")
struct PANTests {
    @Test(arguments: ["6299999900000000014", "4111111111111111", "79927398713", "6212345678901232"])
    func luhnValid(_ digits: String) {
        #expect(PAN.luhnValid(digits))
    }

    @Test(arguments: ["6299999900000000015", "4111111111111112", "79927398710", "", "62999999000000000a4"])
    func luhnInvalid(_ digits: String) {
        #expect(!PAN.luhnValid(digits))
    }

    @Test func validating() throws {
        #expect(try PAN(validating: "6299999900000000014").digits == "6299999900000000014")
        #expect(try PAN(validating: "6299999900000000014").description == "629999*********0014")
        #expect(throws: PAN.ValidationError.badCheckDigit) { try PAN(validating: "6299999900000000015") }
        #expect(throws: PAN.ValidationError.wrongLength(11)) { try PAN(validating: "79927398713") }
        #expect(throws: PAN.ValidationError.wrongLength(20)) { try PAN(validating: "62999999000000000140") }
        #expect(throws: PAN.ValidationError.invalidCharacter) { try PAN(validating: "6299-9999-0000-0000") }
    }
}
