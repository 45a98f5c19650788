/// A command APDU (ISO/IEC 7816-4 §5.1): CLA INS P1 P2 [Lc data] [Le], short form only.
///
/// `le == nil` means no Le field (case 1/3); `le == 0` means Le = 00, i.e. up to 256 bytes (case 2/4).
public struct CommandAPDU: Sendable, Hashable, CustomStringConvertible {
    public var cla: UInt8
    public var ins: UInt8
    public var p1: UInt8
    public var p2: UInt8
    /// Command data, at most 255 bytes.
    public var data: [UInt8]
    /// Expected response length: `nil` = absent, 0 = 256.
    public var le: Int?

    public init(cla: UInt8, ins: UInt8, p1: UInt8, p2: UInt8, data: [UInt8] = [], le: Int? = nil) {
        precondition(data.count <= 255, "short APDUs carry at most 255 data bytes")
        precondition(le.map { (0...256).contains($0) } ?? true, "Le out of range")
        self.cla = cla
        self.ins = ins
        self.p1 = p1
        self.p2 = p2
        self.data = data
        self.le = le
    }

    /// The encoded bytes, as sent to the reader.
    public var bytes: [UInt8] {
        var out = [cla, ins, p1, p2]
        if !data.isEmpty {
            out.append(UInt8(data.count))
            out += data
        }
        if let le { out.append(UInt8(truncatingIfNeeded: le == 256 ? 0 : le)) }
        return out
    }

    /// The same command with another Le (for the `6C XX` retry).
    public func with(le: Int) -> CommandAPDU {
        var copy = self
        copy.le = le
        return copy
    }

    /// Hex of the header only (CLA INS P1 P2): safe for logs, since data may carry personal data.
    public var description: String {
        [cla, ins, p1, p2].hexString
    }

    /// SELECT by DF name / AID: `00 A4 04 00 Lc name 00` (ISO/IEC 7816-4 §11.2.2).
    public static func select(name: [UInt8]) -> CommandAPDU {
        CommandAPDU(cla: 0x00, ins: 0xA4, p1: 0x04, p2: 0x00, data: name, le: 0)
    }

    /// READ RECORD `00 B2 record P2 00` (ISO/IEC 7816-4 §11.3.3).
    public static func readRecord(_ record: UInt8, p2: UInt8, le: Int = 0) -> CommandAPDU {
        CommandAPDU(cla: 0x00, ins: 0xB2, p1: record, p2: p2, le: le)
    }

    /// READ RECORD by short file identifier, record-number mode: P2 = SFI << 3 | 4 (EMV Book 3 §6.5.11).
    public static func readRecord(sfi: UInt8, record: UInt8) -> CommandAPDU {
        readRecord(record, p2: (sfi << 3) | 0x04)
    }

    /// GET RESPONSE `00 C0 00 00 Le` (ISO/IEC 7816-4 §11.4.2), answering SW `61 XX`.
    public static func getResponse(le: Int) -> CommandAPDU {
        CommandAPDU(cla: 0x00, ins: 0xC0, p1: 0x00, p2: 0x00, le: le)
    }
}

/// A status word SW1 SW2 (ISO/IEC 7816-4 §5.1.3).
public struct StatusWord: Sendable, Hashable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    public var sw1: UInt8
    public var sw2: UInt8

    public init(sw1: UInt8, sw2: UInt8) {
        self.sw1 = sw1
        self.sw2 = sw2
    }

    public init(_ value: UInt16) {
        sw1 = UInt8(value >> 8)
        sw2 = UInt8(value & 0xFF)
    }

    public init(integerLiteral value: UInt16) { self.init(value) }

    public var value: UInt16 { UInt16(sw1) << 8 | UInt16(sw2) }

    public static let success: StatusWord = 0x9000
    /// 6A 82: file or application not found.
    public static let fileNotFound: StatusWord = 0x6A82
    /// 6A 83: record not found.
    public static let recordNotFound: StatusWord = 0x6A83
    /// 69 82: security status not satisfied.
    public static let securityStatusNotSatisfied: StatusWord = 0x6982
    /// 69 85: conditions of use not satisfied.
    public static let conditionsNotSatisfied: StatusWord = 0x6985

    public var isSuccess: Bool { self == .success }
    /// `61 XX`: more data, XX bytes available through GET RESPONSE (T=0).
    public var isMoreDataAvailable: Bool { sw1 == 0x61 }
    /// `6C XX`: wrong Le, resend with Le = XX.
    public var isWrongLength: Bool { sw1 == 0x6C }

    /// Matches a family written as `0x61XX`-style masks: `StatusWord.family(0x61) ~= sw`.
    public static func family(_ sw1: UInt8) -> ClosedRange<UInt16> {
        (UInt16(sw1) << 8)...(UInt16(sw1) << 8 | 0xFF)
    }

    public static func ~= (pattern: ClosedRange<UInt16>, sw: StatusWord) -> Bool { pattern.contains(sw.value) }

    public var description: String { [sw1, sw2].hexString }
}

/// A response APDU: data followed by SW1 SW2 (ISO/IEC 7816-4 §5.1).
public struct ResponseAPDU: Sendable, Hashable {
    public var data: [UInt8]
    public var statusWord: StatusWord

    public init(data: [UInt8], statusWord: StatusWord) {
        self.data = data
        self.statusWord = statusWord
    }

    /// Splits raw response bytes; fewer than 2 bytes is ``CardError/malformedResponse``.
    public init(bytes: [UInt8]) throws(CardError) {
        guard bytes.count >= 2 else { throw CardError.malformedResponse(length: bytes.count) }
        data = Array(bytes.dropLast(2))
        statusWord = StatusWord(sw1: bytes[bytes.count - 2], sw2: bytes[bytes.count - 1])
    }

    public var bytes: [UInt8] { data + [statusWord.sw1, statusWord.sw2] }
}

extension Sequence where Element == UInt8 {
    /// Upper-case hex with spaces: `90 00`.
    public var hexString: String {
        map { b in
            let s = String(b, radix: 16, uppercase: true)
            return s.count == 1 ? "0" + s : s
        }.joined(separator: " ")
    }
}

extension Array where Element == UInt8 {
    /// Parses hex with optional spaces (`"6F 30 84"`, `"6f3084"`); `nil` on an odd count or a non-hex character.
    public init?(hex: String) {
        let clean = hex.filter { !$0.isWhitespace }
        guard clean.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(clean.count / 2)
        var it = clean.makeIterator()
        while let h = it.next(), let l = it.next() {
            guard let b = UInt8(String([h, l]), radix: 16) else { return nil }
            out.append(b)
        }
        self = out
    }
}
