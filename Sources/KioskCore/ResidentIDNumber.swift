/// A resident identity number (公民身份号码), GB 11643-1999.
///
/// Shape: 6-digit administrative region (GB/T 2260), 8-digit birth date YYYYMMDD, 3-digit sequence (odd = male,
/// even = female), 1 check character `0`–`9` or `X` computed with ISO 7064 MOD 11-2 (weights 2^(17-i) mod 11).
/// The value is personal data; `description` is masked.
public struct ResidentIDNumber: Sendable, Hashable, CustomStringConvertible {
    /// The 18 normalised characters (upper-case `X`).
    public let value: String

    /// Why a string is not a valid resident ID number.
    public enum ValidationError: Error, Sendable, Equatable, CustomStringConvertible {
        case wrongLength(Int)
        case invalidCharacter
        case invalidBirthDate
        /// The check character does not match; `expected` is the one GB 11643 gives for the first 17 digits.
        case badCheckDigit(expected: Character)

        public var description: String {
            switch self {
            case .wrongLength(let n): "ID number has \(n) characters, expected 18 (or 15 for first-generation)"
            case .invalidCharacter: "ID number contains a character other than digits and a final X"
            case .invalidBirthDate: "ID number contains an impossible birth date"
            case .badCheckDigit: "ID number check digit does not match (GB 11643)"
            }
        }
    }

    static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    static let checkCharacters: [Character] = ["1", "0", "X", "9", "8", "7", "6", "5", "4", "3", "2"]

    /// Validates an 18-character number, or converts and validates a 15-character first-generation number
    /// (birth year 19YY inserted, check digit appended; GB 11643-1999 §1 note).
    /// - Throws: ``ValidationError``.
    public init(validating raw: String) throws(ValidationError) {
        let trimmed = raw.trimmingSpaces().uppercased()
        let chars = Array(trimmed)
        switch chars.count {
        case 18:
            guard chars[0..<17].allSatisfy(\.isASCIIDigitChar),
                chars[17].isASCIIDigitChar || chars[17] == "X"
            else { throw .invalidCharacter }
            try Self.checkBirthDate(String(chars[6..<14]))
            let expected = Self.checkCharacter(forFirst17: String(chars[0..<17]))
            guard chars[17] == expected else { throw .badCheckDigit(expected: expected) }
            value = trimmed
        case 15:
            guard chars.allSatisfy(\.isASCIIDigitChar) else { throw .invalidCharacter }
            let first17 = String(chars[0..<6]) + "19" + String(chars[6..<15])
            try Self.checkBirthDate(String(Array(first17)[6..<14]))
            value = first17 + String(Self.checkCharacter(forFirst17: first17))
        default:
            throw .wrongLength(chars.count)
        }
    }

    /// The MOD 11-2 check character for 17 digits.
    public static func checkCharacter(forFirst17 digits: String) -> Character {
        let sum = zip(digits, weights).reduce(0) { $0 + Int(String($1.0))! * $1.1 }
        return checkCharacters[sum % 11]
    }

    private static func checkBirthDate(_ yyyymmdd: String) throws(ValidationError) {
        guard let date = CalendarDate(yyyymmdd: yyyymmdd), date.year >= 1850 else { throw .invalidBirthDate }
    }

    /// Birth date encoded in characters 7–14.
    public var birthDate: CalendarDate { CalendarDate(yyyymmdd: String(Array(value)[6..<14]))! }

    /// Sex from the parity of the 17th character: odd = male (GB 11643 §5.3).
    public var isMale: Bool { Int(String(Array(value)[16]))! % 2 == 1 }

    /// The 6-digit administrative region code (GB/T 2260).
    public var regionCode: String { String(value.prefix(6)) }

    public var description: String { Masking.idNumber(value) }
}

/// A date without time zone, as printed on cards (YYYYMMDD).
public struct CalendarDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), day >= 1, day <= Self.daysIn(month: month, year: year) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses 8 ASCII digits `YYYYMMDD`; `nil` for anything else or an impossible date.
    public init?(yyyymmdd: String) {
        guard yyyymmdd.count == 8, yyyymmdd.allSatisfy(\.isASCIIDigitChar),
            let y = Int(yyyymmdd.prefix(4)), let m = Int(yyyymmdd.dropFirst(4).prefix(2)),
            let d = Int(yyyymmdd.suffix(2))
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// ISO form `YYYY-MM-DD`.
    public var description: String {
        "\(year)-\(month < 10 ? "0" : "")\(month)-\(day < 10 ? "0" : "")\(day)"
    }
}

extension Character {
    /// One of the ASCII digits `0`–`9`, alone. Not `("0"..."9").contains(self)`: characters compare as strings, so a
    /// digit followed by a combining mark (`"6\u{036C}"`, one `Character`) lies in that range, yet is no digit.
    var isASCIIDigitChar: Bool { asciiValue.map { (0x30...0x39).contains($0) } ?? false }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\0" || f == "\t" || f == "\n" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\0" || l == "\t" || l == "\n" || l == "\r" { s = s.dropLast() }
        return String(s)
    }
}
