/// The vpcd wire format (vsmartcard's virtual smart card reader driver, as spoken by vsmartcard-vpcd 3.3):
/// every message, both ways, is a 2-byte big-endian length followed by that many payload bytes.
///
/// From vpcd to the card, a 1-byte payload is a control code (``Control``); anything longer is a command APDU. From the
/// card to vpcd go only the ATR (answering ``Control/getATR``) and response APDUs.
public enum VPCDFrame {
    /// Control codes vpcd sends as 1-byte payloads. Only ``getATR`` is answered.
    public enum Control: UInt8, Sendable {
        case powerOff = 0
        case powerOn = 1
        case reset = 2
        case getATR = 4
    }

    /// `payload` with its 2-byte big-endian length in front, ready for a single `send`.
    public static func encode(_ payload: [UInt8]) -> [UInt8] {
        precondition(payload.count <= 0xFFFF, "vpcd frames carry at most 65535 bytes")
        return [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] + payload
    }
}

/// Splits a byte stream into vpcd frames; bytes may arrive in any pieces (TCP).
public struct VPCDFrameDecoder: Sendable {
    private var buffer: [UInt8] = []
    private var start = 0

    public init() {}

    /// Appends bytes received from the socket.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        if start > 4096, start * 2 > buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete payload, or `nil` until more bytes arrive.
    public mutating func next() -> [UInt8]? {
        guard buffer.count - start >= 2 else { return nil }
        let length = Int(buffer[start]) << 8 | Int(buffer[start + 1])
        guard buffer.count - start - 2 >= length else { return nil }
        let payload = Array(buffer[(start + 2)..<(start + 2 + length)])
        start += 2 + length
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        return payload
    }

    /// Bytes received but not yet returned as a frame.
    public var pendingByteCount: Int { buffer.count - start }
}
