import Foundation

/// The line end a CDC-ACM scanner appends to each code.
public enum SerialTerminator: String, Sendable, Hashable, CaseIterable {
    /// CR (the usual factory setting).
    case cr
    /// LF.
    case lf
    /// CR LF.
    case crlf
    /// Any of CR, LF or CR LF: a scan ends at CR or LF, and an LF right after a CR is skipped.
    case any
}

/// Splits bytes from a serial scanner into codes at a terminator, with a size bound. Pure; feed it any pieces.
public struct LineFramer: Sendable {
    public enum Output: Sendable, Hashable {
        case line([UInt8])
        /// More than `maximumLength` bytes before the terminator: the line was dropped.
        case tooLong(length: Int)
    }

    public let terminator: SerialTerminator
    public let maximumLength: Int
    private var line: [UInt8] = []
    private var length = 0
    private var lastWasCR = false

    public init(terminator: SerialTerminator = .any, maximumLength: Int = 4096) {
        self.terminator = terminator
        self.maximumLength = maximumLength
    }

    public mutating func consume(_ bytes: some Collection<UInt8>) -> [Output] {
        var outputs: [Output] = []
        for byte in bytes {
            let afterCR = lastWasCR
            lastWasCR = byte == 0x0D
            let ends: Bool
            switch (terminator, byte) {
            case (.cr, 0x0D), (.lf, 0x0A), (.any, 0x0D): ends = true
            case (.any, 0x0A): if afterCR { continue } else { ends = true }
            case (.crlf, 0x0A) where afterCR:
                ends = true
            case (.crlf, 0x0D):
                if afterCR { append(0x0D) }  // the previous CR was data after all
                continue  // held until we know whether LF follows
            default:
                if terminator == .crlf, afterCR { append(0x0D) }  // a lone CR is data
                ends = false
            }
            if ends {
                if let out = finish() { outputs.append(out) }
            } else {
                append(byte)
            }
        }
        return outputs
    }

    /// The port went away: a partial line is dropped.
    public mutating func reset() {
        line.removeAll()
        length = 0
        lastWasCR = false
    }

    private mutating func append(_ byte: UInt8) {
        length += 1
        if length <= maximumLength { line.append(byte) }
    }

    private mutating func finish() -> Output? {
        defer { reset() }
        if length > maximumLength { return .tooLong(length: length) }
        return line.isEmpty ? nil : .line(line)
    }
}

/// Text from the bytes of a HID POS or serial scanner: UTF-8 when valid, else GB 18030 (Chinese scanners' default
/// "Chinese mode"), else `nil`.
public enum ScanTextDecoding {
    /// Foundation's `kCFStringEncodingGB_18030_2000` as a `String.Encoding` (decodes on Linux).
    static let gb18030 = String.Encoding(rawValue: 0x8000_0632)

    public static func decode(_ bytes: [UInt8]) -> String? {
        if let utf8 = String(validating: bytes, as: UTF8.self) { return utf8 }
        return String(data: Data(bytes), encoding: gb18030)
    }
}
