/// The status byte SW3 of a SAM reply (GA 467; cards.md §4.2 table from `libsamv.h`). SW1 and SW2 are `00`.
///
/// A value outside the table is kept as ``unknown(_:)``.
public enum SAMStatus: Sendable, Hashable, CustomStringConvertible {
    /// `90` 操作成功: the command succeeded.
    case success
    /// `9F` 寻找证/卡成功: a card is in the field (reply to find, `20 01`).
    case cardFound
    /// `10`: the SAM computed another checksum for our frame.
    case checksumError
    /// `11`: the SAM found our frame's length wrong.
    case lengthError
    /// `21`: command error (values or logic).
    case commandError
    /// `23` 越权操作: privilege error.
    case privilegeError
    /// `24`: unrecognised error.
    case unrecognisedError
    /// `31` 证/卡认证SAM_V失败: the card rejected the SAM.
    case cardAuthenticationFailed
    /// `32` SAM_V认证证/卡失败: the SAM rejected the card (not a genuine card).
    case samAuthenticationFailed
    /// `33`: information verification error.
    case verificationError
    /// `40`: not a card type the SAM knows.
    case unknownCardType
    /// `41` 读证/卡操作失败: reading failed, typically the card left mid-read.
    case readFailed
    /// `47`: getting a random number from the card failed.
    case randomFailed
    /// `60`: the SAM's self-test failed (module fault).
    case selfTestFailed
    /// `66` SAM_V没有经过授权: the SAM is not authorised (module fault; needs the vendor).
    case notAuthorised
    /// `80` 寻找证/卡失败: no card in the field.
    case noCard
    /// `81`: selecting the card failed.
    case selectFailed
    /// `91`: the item has no content (e.g. no extra address).
    case noContent
    /// `FF`: communication fault inside the module.
    case communicationFault
    /// Any other SW3.
    case unknown(UInt8)

    public init(rawValue: UInt8) {
        switch rawValue {
        case 0x90: self = .success
        case 0x9F: self = .cardFound
        case 0x10: self = .checksumError
        case 0x11: self = .lengthError
        case 0x21: self = .commandError
        case 0x23: self = .privilegeError
        case 0x24: self = .unrecognisedError
        case 0x31: self = .cardAuthenticationFailed
        case 0x32: self = .samAuthenticationFailed
        case 0x33: self = .verificationError
        case 0x40: self = .unknownCardType
        case 0x41: self = .readFailed
        case 0x47: self = .randomFailed
        case 0x60: self = .selfTestFailed
        case 0x66: self = .notAuthorised
        case 0x80: self = .noCard
        case 0x81: self = .selectFailed
        case 0x91: self = .noContent
        case 0xFF: self = .communicationFault
        default: self = .unknown(rawValue)
        }
    }

    public var rawValue: UInt8 {
        switch self {
        case .success: 0x90
        case .cardFound: 0x9F
        case .checksumError: 0x10
        case .lengthError: 0x11
        case .commandError: 0x21
        case .privilegeError: 0x23
        case .unrecognisedError: 0x24
        case .cardAuthenticationFailed: 0x31
        case .samAuthenticationFailed: 0x32
        case .verificationError: 0x33
        case .unknownCardType: 0x40
        case .readFailed: 0x41
        case .randomFailed: 0x47
        case .selfTestFailed: 0x60
        case .notAuthorised: 0x66
        case .noCard: 0x80
        case .selectFailed: 0x81
        case .noContent: 0x91
        case .communicationFault: 0xFF
        case .unknown(let raw): raw
        }
    }

    /// Whether the status points at the module itself (self-test, authorisation, internal communication), not the
    /// card or the frame: a technician must look at the reader.
    public var isModuleFault: Bool {
        switch self {
        case .selfTestFailed, .notAuthorised, .communicationFault: true
        default: false
        }
    }

    /// What the status means, in English (the table's meaning).
    public var meaning: String {
        switch self {
        case .success: "success"
        case .cardFound: "card found"
        case .checksumError: "checksum error in host frame"
        case .lengthError: "length error in host frame"
        case .commandError: "command error"
        case .privilegeError: "privilege error"
        case .unrecognisedError: "unrecognised error"
        case .cardAuthenticationFailed: "card rejected the SAM"
        case .samAuthenticationFailed: "SAM rejected the card"
        case .verificationError: "information verification error"
        case .unknownCardType: "unrecognised card type"
        case .readFailed: "read card failed"
        case .randomFailed: "get-random failed"
        case .selfTestFailed: "SAM self-test failed"
        case .notAuthorised: "SAM not authorised"
        case .noCard: "no card"
        case .selectFailed: "select card failed"
        case .noContent: "no content"
        case .communicationFault: "communication fault"
        case .unknown: "unknown status"
        }
    }

    /// `SW3 41 (read card failed)`.
    public var description: String { "SW3 \([rawValue].hexString) (\(meaning))" }
}
