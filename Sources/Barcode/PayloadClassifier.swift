import KioskCore

/// A rule that recognises a printed health-code card or e-social-security QR token.
///
/// Their payloads are issuer-specific and not public (cards.md §7.1, §3.5): the kiosk does not parse them, it only
/// recognises them and passes them on verbatim. Configure the patterns per deployment.
public enum PrintedCodePattern: Sendable, Hashable {
    /// The text starts with this string, compared case-insensitively (`"bjjkb:"`, `"https://jkb.example.cn/q?"`).
    case prefix(String)
    /// The text is an `http(s)` URL whose host is this domain or a subdomain of it.
    case urlHost(String)
}

/// Classifies scanned text into a ``ScanPayload``. Pure; never logs.
///
/// Order: leading/trailing spaces are trimmed; over-long text → ``ScanPayload/tooLong(length:)``; an ID-number shape
/// (17 digits then a digit or X) → validated per GB 11643; 15 digits forming a valid first-generation number →
/// converted to 18; `HC1:` → EU DCC (not supported); a configured printed-code
/// pattern → opaque token; else not recognised. Text with control, format (bidi) or private-use characters is never
/// an identity (a token with an embedded newline or escape is someone's mistake or an attack on the screen).
public struct PayloadClassifier: Sendable {
    public var printedCodePatterns: [PrintedCodePattern]
    /// Longest text classified. Default 4096.
    public var maximumLength: Int

    /// Example patterns only: the real issuers' prefixes must come from configuration (their formats are not public).
    public static let examplePatterns: [PrintedCodePattern] = [
        .prefix("BJJKB:"), .urlHost("jkb.beijing.gov.cn"), .prefix("ESSC:"), .urlHost("si.12333.gov.cn"),
    ]

    public init(
        printedCodePatterns: [PrintedCodePattern] = PayloadClassifier.examplePatterns, maximumLength: Int = 4096
    ) {
        self.printedCodePatterns = printedCodePatterns
        self.maximumLength = maximumLength
    }

    public func classify(_ raw: String) -> ScanPayload {
        let count = raw.count
        if count > maximumLength { return .tooLong(length: count) }
        let text = raw.trimmingScanPadding()
        if !text.allSatisfy(Self.isDisplaySafe) { return .unrecognised(summary: ScannedText.summary(of: text)) }
        if Self.hasIDNumberShape(text) {
            do {
                let number = try ResidentIDNumber(validating: text)
                return .residentID(
                    Identity(kind: Self.identityKind(ofIDNumber: number.value), value: number.value, isValidated: true))
            } catch {
                return .invalidResidentID(masked: Masking.idNumber(text.uppercased()), reason: error)
            }
        }
        // A first-generation 15-digit number (GB 11643-1989) that is a valid one is converted to its 18 characters,
        // as the people-file import does; 15 digits that are not a valid number are something else, not an error.
        if text.count == 15, text.allSatisfy(\.isASCIIDigit), let number = try? ResidentIDNumber(validating: text) {
            return .residentID(
                Identity(kind: Self.identityKind(ofIDNumber: number.value), value: number.value, isValidated: true))
        }
        if text.count >= 4, text.prefix(4).uppercased() == "HC1:" { return .euDCC(length: text.count) }
        if !text.isEmpty, printedCodePatterns.contains(where: { Self.matches($0, text) }) {
            return .printedCode(Identity(kind: .printedCode, value: text, isValidated: false))
        }
        return .unrecognised(summary: ScannedText.summary(of: text))
    }

    /// 18 characters: 17 ASCII digits and a final digit or `X`/`x`.
    static func hasIDNumberShape(_ text: String) -> Bool {
        let chars = Array(text)
        return chars.count == 18 && chars[0..<17].allSatisfy(\.isASCIIDigit)
            && (chars[17].isASCIIDigit || chars[17] == "X" || chars[17] == "x")
    }

    /// The GB 11643-shaped numbers: 81/82/83 prefixes are HK/Macau/Taiwan residence permits, a leading 9 the 2023
    /// foreign permanent residence number (cards.md §5).
    static func identityKind(ofIDNumber value: String) -> IdentityKind {
        if value.hasPrefix("81") || value.hasPrefix("82") || value.hasPrefix("83") { return .residencePermit }
        if value.hasPrefix("9") { return .foreignPermanentResident }
        return .residentID
    }

    static func matches(_ pattern: PrintedCodePattern, _ text: String) -> Bool {
        switch pattern {
        case .prefix(let prefix):
            return !prefix.isEmpty && text.count > prefix.count && text.lowercased().hasPrefix(prefix.lowercased())
        case .urlHost(let domain):
            let lower = text.lowercased()
            let rest: Substring
            if lower.hasPrefix("https://") {
                rest = lower.dropFirst(8)
            } else if lower.hasPrefix("http://") {
                rest = lower.dropFirst(7)
            } else {
                return false
            }
            let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
            if authority.contains("@") { return false }  // userinfo tricks: https://jkb.gov.cn@evil.example/
            let host = authority.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
            let d = domain.lowercased()
            return host == d || host.hasSuffix("." + d)
        }
    }

    /// Whether a character may reach the screen or a log summary: no control (C0, C1, DEL), format (bidi overrides,
    /// zero-width), private-use, surrogate or unassigned scalars.
    public static func isDisplaySafe(_ c: Character) -> Bool {
        c.unicodeScalars.allSatisfy { scalar in
            switch scalar.properties.generalCategory {
            case .control, .format, .privateUse, .surrogate, .unassigned, .lineSeparator, .paragraphSeparator: false
            default: true
            }
        }
    }
}

extension Character {
    /// One of the ASCII digits alone (a digit with a combining mark is one `Character` that compares between "0" and
    /// "9", so a range test would let it through).
    fileprivate var isASCIIDigit: Bool { asciiValue.map { (0x30...0x39).contains($0) } ?? false }
}

extension String {
    /// Drops spaces, NULs and line ends around a scan (some scanners add them as prefix or suffix).
    func trimmingScanPadding() -> String {
        var s = Substring(self)
        let pad: Set<Character> = [" ", "\0", "\t", "\r", "\n", "\r\n"]
        while let f = s.first, pad.contains(f) { s = s.dropFirst() }
        while let l = s.last, pad.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
