/// The envelope of GA 467 SAM frames (cards.md §4.2), both directions:
///
/// ```
/// AA AA AA 96 69 | LEN1 LEN2 | body… | CHK
/// ```
///
/// LEN (big-endian) counts the bytes after itself, CHK included; CHK is the XOR of LEN1 through the last body byte
/// (the preamble is excluded). The body is `CMD PARA [DATA]` host → SAM and `SW1 SW2 SW3 [DATA]` SAM → host.
public enum SAMFrame {
    /// `AA AA AA 96 69`.
    public static let preamble: [UInt8] = [0xAA, 0xAA, 0xAA, 0x96, 0x69]
    /// Preamble and length: the bytes before the body.
    public static let headerCount = 7

    /// The whole frame for `body`.
    public static func encode(body: some Collection<UInt8>) -> [UInt8] {
        let length = body.count + 1
        precondition(length <= 0xFFFF, "SAM frame body of \(body.count) bytes does not fit LEN")
        var frame = preamble
        frame.reserveCapacity(headerCount + length)
        frame.append(UInt8(length >> 8))
        frame.append(UInt8(length & 0xFF))
        frame.append(contentsOf: body)
        frame.append(checksum(frame[5...]))
        return frame
    }

    /// XOR of `bytes` (pass LEN1 through the byte before CHK).
    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt8 {
        bytes.reduce(0, ^)
    }
}

/// A host → SAM command: `CMD PARA [DATA]` (cards.md §4.2 command table).
public struct SAMCommand: Sendable, Hashable, CustomStringConvertible {
    public var command: UInt8
    public var parameter: UInt8
    public var data: [UInt8]

    public init(command: UInt8, parameter: UInt8, data: [UInt8] = []) {
        self.command = command
        self.parameter = parameter
        self.data = data
    }

    /// Parses a frame body; `nil` when it is shorter than `CMD PARA`.
    public init?(body: some Collection<UInt8>) {
        let bytes = Array(body)
        guard bytes.count >= 2 else { return nil }
        self.init(command: bytes[0], parameter: bytes[1], data: Array(bytes[2...]))
    }

    /// `10 FF` reset SAM → `AA AA AA 96 69 00 03 10 FF EC`.
    public static let resetSAM = SAMCommand(command: 0x10, parameter: 0xFF)
    /// `11 FF` SAM status → `… 11 FF ED`.
    public static let samStatus = SAMCommand(command: 0x11, parameter: 0xFF)
    /// `12 FF` read the SAM id (16 bytes) → `… 12 FF EE`.
    public static let readSAMID = SAMCommand(command: 0x12, parameter: 0xFF)
    /// `20 01` find card 寻卡 → `… 20 01 22`; SW3 `9F` found, `80` none.
    public static let findCard = SAMCommand(command: 0x20, parameter: 0x01)
    /// `20 02` select card 选卡 → `… 20 02 21`; SW3 `90` selected, `81` failed.
    public static let selectCard = SAMCommand(command: 0x20, parameter: 0x02)
    /// `30 01` read text + photo → `… 30 01 32`; reply data = text length, photo length (2 bytes each,
    /// big-endian), 256 bytes of text, 1 024 bytes of WLT photo (1 295-byte frame).
    public static let readText = SAMCommand(command: 0x30, parameter: 0x01)
    /// `30 03` read the extra address 追加住址 → `… 30 03 30`; 70 bytes UCS-2LE, or SW3 `91`.
    public static let readExtraAddress = SAMCommand(command: 0x30, parameter: 0x03)
    /// `30 10` read text + photo + fingerprints → `… 30 10 23`; three lengths, 256 + 1 024 + 1 024 bytes
    /// (2 321-byte frame).
    public static let readTextWithFingerprint = SAMCommand(command: 0x30, parameter: 0x10)

    /// The body `CMD PARA DATA`.
    public var body: [UInt8] { [command, parameter] + data }

    /// The whole frame, preamble to checksum.
    public func encoded() -> [UInt8] { SAMFrame.encode(body: body) }

    /// A short name for logs: `find (20 01)`.
    public var name: String {
        switch (command, parameter) {
        case (0x10, 0xFF): "reset"
        case (0x11, 0xFF): "status"
        case (0x12, 0xFF): "SAM id"
        case (0x20, 0x01): "find"
        case (0x20, 0x02): "select"
        case (0x30, 0x01): "read"
        case (0x30, 0x03): "read extra address"
        case (0x30, 0x10): "read with fingerprint"
        default: "command"
        }
    }

    public var description: String {
        "\(name) (\([command, parameter].hexString)\(data.isEmpty ? "" : " +\(data.count) bytes"))"
    }
}

/// A SAM → host reply: `SW1 SW2 SW3 [DATA]`.
public struct SAMResponse: Sendable, Hashable, CustomStringConvertible {
    public var sw1: UInt8
    public var sw2: UInt8
    public var status: SAMStatus
    /// The bytes between SW3 and CHK.
    public var data: [UInt8]

    public init(status: SAMStatus, data: [UInt8] = [], sw1: UInt8 = 0, sw2: UInt8 = 0) {
        self.sw1 = sw1
        self.sw2 = sw2
        self.status = status
        self.data = data
    }

    /// Parses a frame body; `nil` when it is shorter than `SW1 SW2 SW3`.
    public init?(body: some Collection<UInt8>) {
        let bytes = Array(body)
        guard bytes.count >= 3 else { return nil }
        self.init(status: SAMStatus(rawValue: bytes[2]), data: Array(bytes[3...]), sw1: bytes[0], sw2: bytes[1])
    }

    public var body: [UInt8] { [sw1, sw2, status.rawValue] + data }

    /// The whole frame, preamble to checksum.
    public func encoded() -> [UInt8] { SAMFrame.encode(body: body) }

    /// Status and data length only: replies to reads carry personal data.
    public var description: String { "\(status), \(data.count) data bytes" }
}

/// The data of a successful `30 01` / `30 10` reply: the 256-byte text block, the WLT photo (never decoded here)
/// and, for `30 10`, the fingerprint block.
public struct SAMCardRecord: Sendable, Hashable {
    public var text: [UInt8]
    public var photo: [UInt8]
    public var fingerprint: [UInt8]?

    public init(text: [UInt8], photo: [UInt8], fingerprint: [UInt8]? = nil) {
        self.text = text
        self.photo = photo
        self.fingerprint = fingerprint
    }

    /// Splits reply data: 2-byte big-endian lengths (text, photo, and fingerprint when `withFingerprint`), then the
    /// blocks in that order. `nil` when the lengths do not add up to the data received.
    public init?(replyData data: [UInt8], withFingerprint: Bool = false) {
        let lengthCount = withFingerprint ? 3 : 2
        guard data.count >= lengthCount * 2 else { return nil }
        let lengths = (0..<lengthCount).map { Int(data[2 * $0]) << 8 | Int(data[2 * $0 + 1]) }
        guard lengthCount * 2 + lengths.reduce(0, +) <= data.count else { return nil }
        var offset = lengthCount * 2
        var blocks: [[UInt8]] = []
        for length in lengths {
            blocks.append(Array(data[offset..<offset + length]))
            offset += length
        }
        self.init(text: blocks[0], photo: blocks[1], fingerprint: withFingerprint ? blocks[2] : nil)
    }

    /// The reply data for this record (lengths then blocks).
    public var replyData: [UInt8] {
        var blocks = [text, photo]
        if let fingerprint { blocks.append(fingerprint) }
        var out: [UInt8] = []
        for block in blocks { out += [UInt8(block.count >> 8), UInt8(block.count & 0xFF)] }
        for block in blocks { out += block }
        return out
    }
}
