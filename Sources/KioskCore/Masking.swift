/// Masked forms of personal data for the screen (DESIGN.md §4). Nothing else may be shown or logged.
public enum Masking {
    /// ID number as the first 3 and last 4 characters, the rest `*`: `110***********123X`.
    /// Values of 7 characters or fewer are fully masked.
    public static func idNumber(_ value: String) -> String {
        let chars = Array(value)
        guard chars.count > 7 else { return String(repeating: "*", count: chars.count) }
        return String(chars.prefix(3)) + String(repeating: "*", count: chars.count - 7) + String(chars.suffix(4))
    }

    /// PAN as the first 6 and last 4 digits (PCI DSS 3.4 display rule), rest `*`.
    public static func pan(_ digits: String) -> String {
        let chars = Array(digits)
        guard chars.count > 10 else { return String(repeating: "*", count: chars.count) }
        return String(chars.prefix(6)) + String(repeating: "*", count: chars.count - 10) + String(chars.suffix(4))
    }

    /// Name with the middle masked (DESIGN.md §4), by characters for a Chinese name and by words for a Latin one, the
    /// same rule for both: one unit → `*`; two → the first and `*` (王*, `Wang *`); three or more → the first and the
    /// last with the middle masked (张*明, 欧**华, `Wang *** Li`). So a two-word name never shows whole. Words are
    /// split at spaces, commas and the `/` of PBOC tag 5F20 (`WANG/LI` → `WANG *`).
    public static func name(_ name: String) -> String {
        let trimmed = name.trimmingSpaces()
        let words = trimmed.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "/" })
        if words.count == 2 { return "\(words[0]) *" }
        if words.count > 2 { return "\(words.first!) *** \(words.last!)" }
        let chars = Array(trimmed)
        switch chars.count {
        case 0: return ""
        case 1: return "*"
        case 2: return "\(chars[0])*"
        default:
            return String(chars[0]) + String(repeating: "*", count: chars.count - 2) + String(chars[chars.count - 1])
        }
    }

    /// The masked value of an identity according to its kind.
    public static func maskedValue(of identity: Identity) -> String {
        switch identity.kind {
        case .bankCardPAN: pan(identity.value)
        case .printedCode: identity.value.isEmpty ? "" : "***"
        default: idNumber(identity.value)
        }
    }
}
