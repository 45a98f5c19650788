public import KioskCore

/// Why the number read from an ID card does not validate. Reported in ``IDCardData/numberProblem``; the number is
/// then passed on with `isValidated == false`.
public enum IDCardNumberProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// A resident ID or residence-permit number failed GB 11643 (length, characters, birth date or check digit).
    case residentID(ResidentIDNumber.ValidationError)
    /// A residence permit's number does not start 81, 82 or 83 (cards.md §5.1).
    case permitPrefix
    /// A foreigner's number does not have the shape of cards.md §5.3 (2017: 3 letters + 12 digits; 2023: 9 + 16
    /// digits + digit or X).
    case foreignerFormat
    /// A foreigner's number has an impossible birth date.
    case foreignerBirthDate
    /// A foreigner's check digit does not match; `expected` is the one the scheme gives.
    case foreignerCheckDigit(expected: Character)

    public var description: String {
        switch self {
        case .residentID(let error): "\(error)"
        case .permitPrefix: "residence-permit number does not start with 81, 82 or 83"
        case .foreignerFormat: "permanent-residence number does not have the 15- or 18-character form"
        case .foreignerBirthDate: "permanent-residence number contains an impossible birth date"
        case .foreignerCheckDigit: "permanent-residence number check digit does not match"
        }
    }
}

/// Number checks per layout (cards.md §5).
enum IDCardNumberCheck {
    /// Validates `number` (already trimmed and upper-cased) for `layout`; `nil` when it is valid.
    static func problem(with number: String, layout: IDCardLayout) -> IDCardNumberProblem? {
        switch layout {
        case .residentID:
            return residentProblem(number)
        case .residencePermit:
            if let problem = residentProblem(number) { return problem }
            return ["81", "82", "83"].contains(String(number.prefix(2))) ? nil : .permitPrefix
        case .foreignPermanentResident2017, .foreignPermanentResident2023:
            return foreignerProblem(number)
        }
    }

    /// GB 11643-1999, 18 characters only (an ID card never carries the 15-digit form).
    private static func residentProblem(_ number: String) -> IDCardNumberProblem? {
        guard number.count == 18 else { return .residentID(.wrongLength(number.count)) }
        do {
            _ = try ResidentIDNumber(validating: number)
            return nil
        } catch {
            return .residentID(error)
        }
    }

    /// 2017: `AAA RRRR YYMMDD G C`, check = ICAO 9303 7-3-1 over the first 14 characters (A=10 … Z=35), mod 10.
    /// 2023: `9 PP NNN YYYYMMDD SS G C`, check = ISO 7064 MOD 11-2 as GB 11643. Either form is accepted whatever
    /// the card's flag, since a 2023 card may link an old number.
    static func foreignerProblem(_ number: String) -> IDCardNumberProblem? {
        let chars = Array(number)
        switch chars.count {
        case 15:
            guard chars[0..<3].allSatisfy({ isASCII($0, in: 0x41...0x5A) }),
                chars[3..<15].allSatisfy({ isASCII($0, in: 0x30...0x39) })
            else { return .foreignerFormat }
            // YYMMDD: the century is not encoded; the date must exist in 19YY or 20YY.
            let yymmdd = String(chars[7..<13])
            guard CalendarDate(yyyymmdd: "19" + yymmdd) != nil || CalendarDate(yyyymmdd: "20" + yymmdd) != nil else {
                return .foreignerBirthDate
            }
            let expected = machineReadableCheckDigit(chars[0..<14])
            return chars[14] == expected ? nil : .foreignerCheckDigit(expected: expected)
        case 18:
            guard chars[0] == "9", chars[0..<17].allSatisfy({ isASCII($0, in: 0x30...0x39) }),
                isASCII(chars[17], in: 0x30...0x39) || chars[17] == "X"
            else { return .foreignerFormat }
            guard CalendarDate(yyyymmdd: String(chars[6..<14])) != nil else { return .foreignerBirthDate }
            let expected = ResidentIDNumber.checkCharacter(forFirst17: String(chars[0..<17]))
            return chars[17] == expected ? nil : .foreignerCheckDigit(expected: expected)
        default:
            return .foreignerFormat
        }
    }

    /// Whether `character` is a single ASCII character in `range` (`"0"..."9"` as a range of `Character`s would also
    /// hold a digit followed by a combining mark).
    static func isASCII(_ character: Character, in range: ClosedRange<UInt8>) -> Bool {
        character.asciiValue.map(range.contains) ?? false
    }

    /// ICAO Doc 9303 check digit: values 0–9, A=10 … Z=35, `<`=0; weights 7, 3, 1 repeating; sum mod 10.
    static func machineReadableCheckDigit(_ characters: some Collection<Character>) -> Character {
        let weights = [7, 3, 1]
        var sum = 0
        for (index, character) in characters.enumerated() {
            let value: Int
            if let digit = character.wholeNumberValue, character.isASCII {
                value = digit
            } else if let ascii = character.asciiValue, (65...90).contains(ascii) {
                value = Int(ascii) - 55
            } else {
                value = 0
            }
            sum += value * weights[index % 3]
        }
        return Character(String(sum % 10))
    }
}
