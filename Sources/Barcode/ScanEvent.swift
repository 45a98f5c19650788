public import KioskCore

/// Text read from a code. Personal data or a bearer token: `description` is a masked summary (length and at most
/// the first 4 characters, control characters replaced), so interpolating it into a log line is safe. Use
/// ``value`` only to build an ``Identity``.
public struct ScannedText: Sendable, Hashable, CustomStringConvertible {
    /// The decoded text, exactly as scanned. Never log or display it.
    public let value: String

    public init(_ value: String) { self.value = value }

    /// `"37 chars 'HC1:…'"`: length and the first 4 characters with control characters shown as `·`.
    public var description: String { Self.summary(of: value) }

    /// The masked summary of any scanned string.
    public static func summary(of text: String) -> String {
        let head = String(text.prefix(4).map { PayloadClassifier.isDisplaySafe($0) ? $0 : "·" })
        return "\(text.count) chars '\(head)\(text.count > 4 ? "…" : "")'"
    }
}

/// What a scanned code is, as far as the kiosk cares.
public enum ScanPayload: Sendable, Equatable, CustomStringConvertible {
    /// An 18-character ID number whose GB 11643 check digit and birth date are valid. The identity kind is
    /// ``IdentityKind/residentID``, or ``IdentityKind/residencePermit`` (81/82/83 prefix) or
    /// ``IdentityKind/foreignPermanentResident`` (2023 form, leading 9), which share the format.
    case residentID(Identity)
    /// Looks like an ID number (17 digits + digit or X) but fails validation: `masked` is the masked number.
    case invalidResidentID(masked: String, reason: ResidentIDNumber.ValidationError)
    /// A printed health-code card or e-social-security token, matched by a configured pattern; passed on opaque.
    case printedCode(Identity)
    /// An EU Digital COVID Certificate (`HC1:`), which this kiosk does not verify.
    case euDCC(length: Int)
    /// Anything else; `summary` is masked (``ScannedText/summary(of:)``).
    case unrecognised(summary: String)
    /// Longer than the configured maximum: discarded unread.
    case tooLong(length: Int)
    /// Bytes that are neither UTF-8 nor GB 18030 (HID POS and serial scanners).
    case undecodable(byteCount: Int)

    /// What to tell the person at the kiosk, for the payloads that are errors; `nil` for usable identities.
    public var guidance: Guidance? {
        switch self {
        case .residentID, .printedCode: nil
        case .invalidResidentID: .idNumberInvalid
        case .euDCC: .euCertificateNotSupported
        case .unrecognised, .tooLong, .undecodable: .codeNotRecognised
        }
    }

    /// The identity to look up, if any.
    public var identity: Identity? {
        switch self {
        case .residentID(let identity), .printedCode(let identity): identity
        default: nil
        }
    }

    /// Masked, safe for logs and the technician's screen.
    public var description: String {
        switch self {
        case .residentID(let identity): "ID number \(Masking.idNumber(identity.value)) (\(identity.kind.rawValue))"
        case .invalidResidentID(let masked, let reason): "invalid ID number \(masked): \(reason)"
        case .printedCode(let identity): "printed code \(ScannedText.summary(of: identity.value))"
        case .euDCC(let length): "EU DCC (HC1:, \(length) chars): not supported"
        case .unrecognised(let summary): "not recognised: \(summary)"
        case .tooLong(let length): "too long: \(length) characters, discarded"
        case .undecodable(let n): "undecodable: \(n) bytes neither UTF-8 nor GB 18030"
        }
    }
}

extension Guidance {
    /// A scanned code the kiosk does not know.
    public static let codeNotRecognised = Guidance(zh: "无法识别此二维码", en: "Code not recognised")
    /// An EU Digital COVID Certificate (HC1:).
    public static let euCertificateNotSupported = Guidance(
        zh: "本机暂不支持欧盟健康证书", en: "EU certificates are not supported at this kiosk")
    /// An ID number whose check digit or birth date is wrong.
    public static let idNumberInvalid = Guidance(
        zh: "身份证号码有误，请重新扫描或刷卡", en: "ID number not valid. Please scan again or tap your card")
}

/// One decoded scan from one scanner.
public struct ScanEvent: Sendable, Equatable, CustomStringConvertible {
    /// How the scanner talks to the kiosk.
    public enum Kind: String, Sendable, Hashable {
        /// USB HID keyboard ("wedge") through evdev.
        case evdev
        /// USB HID POS (usage page 0x8C) through hidraw.
        case hidPOS = "hidpos"
        /// USB CDC-ACM virtual serial port.
        case serial

        /// The matching ``InputHealth`` kind.
        public var healthKind: InputHealth.Kind {
            switch self {
            case .evdev: .scannerEvdev
            case .hidPOS: .scannerHIDPOS
            case .serial: .scannerSerial
            }
        }
    }

    public var payload: ScanPayload
    /// The decoded text (masked `description`); empty for ``ScanPayload/tooLong(length:)`` and undecodable bytes.
    public var text: ScannedText
    /// The device: node path or configured name.
    public var source: String
    public var kind: Kind
    /// When the scan was framed (terminator, gap or last report).
    public var at: ContinuousClock.Instant
    /// Wedge scanners only: the scan did not make sense with the configured layout but this one gives a recognised
    /// code, so the scanner's keyboard-country setting probably differs from the configuration.
    public var layoutHint: KeyboardLayout?

    public init(
        payload: ScanPayload, text: ScannedText, source: String, kind: Kind, at: ContinuousClock.Instant,
        layoutHint: KeyboardLayout? = nil
    ) {
        self.payload = payload
        self.text = text
        self.source = source
        self.kind = kind
        self.at = at
        self.layoutHint = layoutHint
    }

    public var description: String {
        "\(kind.rawValue) \(source): \(payload)" + (layoutHint.map { " (layout hint: \($0))" } ?? "")
    }
}
