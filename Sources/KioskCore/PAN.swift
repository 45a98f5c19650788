/// A payment card number (PAN), ISO/IEC 7812: 12–19 digits whose last digit is a Luhn check digit.
///
/// For the senior card this is the UnionPay PAN from PBOC 3.0 part 5 tag 5A (or track-2 equivalent tag 57).
/// The value is personal data; `description` is masked.
public struct PAN: Sendable, Hashable, CustomStringConvertible {
    /// The digits, without padding.
    public let digits: String

    public enum ValidationError: Error, Sendable, Equatable, CustomStringConvertible {
        case wrongLength(Int)
        case invalidCharacter
        case badCheckDigit

        public var description: String {
            switch self {
            case .wrongLength(let n): "card number has \(n) digits, expected 12 to 19"
            case .invalidCharacter: "card number contains a non-digit"
            case .badCheckDigit: "card number fails the Luhn check (ISO/IEC 7812-1 Annex B)"
            }
        }
    }

    /// - Throws: ``ValidationError`` for a wrong length, a non-digit or a failed Luhn check.
    public init(validating raw: String) throws(ValidationError) {
        let digits = raw.trimmingSpaces()
        guard digits.allSatisfy(\.isASCIIDigitChar) else { throw .invalidCharacter }
        guard (12...19).contains(digits.count) else { throw .wrongLength(digits.count) }
        guard Self.luhnValid(digits) else { throw .badCheckDigit }
        self.digits = digits
    }

    /// Luhn (mod 10) check over all digits including the check digit.
    public static func luhnValid(_ digits: String) -> Bool {
        var sum = 0
        for (i, ch) in digits.reversed().enumerated() {
            guard let d = ch.wholeNumberValue else { return false }
            if i % 2 == 1 {
                let doubled = d * 2
                sum += doubled > 9 ? doubled - 9 : doubled
            } else {
                sum += d
            }
        }
        return !digits.isEmpty && sum % 10 == 0
    }

    public var description: String { Masking.pan(digits) }
}
