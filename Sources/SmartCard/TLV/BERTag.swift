/// A BER-TLV tag (ISO/IEC 8825-1 §8.1.2, EMV Book 3 Annex B1), 1 to 4 bytes, stored big-endian in a `UInt32`.
///
/// Written as an integer literal it reads like the specifications: `0x5A`, `0x9F61`, `0xBF0C`. The description is
/// the upper-case hex of the tag bytes (`"9F61"`).
///
/// First-byte layout: b8–b7 class (00 universal, 01 application, 10 context-specific, 11 private), b6 constructed,
/// b5–b1 tag number, where `11111` means the number continues in following bytes, each with b8 set except the last.
public struct BERTag: Sendable, Hashable, Comparable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    /// The tag bytes as a big-endian number: `9F 61` is `0x9F61`.
    public let rawValue: UInt32

    /// Wraps a tag written as a number. The value is not checked for BER well-formedness; tags read from a card
    /// always are (see ``init(bytes:)``).
    public init(_ rawValue: UInt32) { self.rawValue = rawValue }

    public init(integerLiteral value: UInt32) { self.init(value) }

    /// Builds a tag from its encoded bytes; `nil` unless they form exactly one well-formed tag of 1–4 bytes.
    public init?(bytes: [UInt8]) {
        guard let (tag, length) = try? BERTag.decode(bytes, at: 0), length == bytes.count else { return nil }
        self = tag
    }

    /// The encoded tag bytes (leading zero bytes of `rawValue` dropped).
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        var value = rawValue
        repeat {
            out.insert(UInt8(value & 0xFF), at: 0)
            value >>= 8
        } while value != 0
        return out
    }

    /// The first tag byte, which carries the class and the constructed bit.
    public var firstByte: UInt8 { bytes[0] }

    /// Bit 6 of the first byte: the value is itself a sequence of BER-TLV objects (a template).
    public var isConstructed: Bool { firstByte & 0x20 != 0 }

    /// The class bits b8–b7 of the first byte (0 universal, 1 application, 2 context-specific, 3 private).
    public var tagClass: Int { Int(firstByte >> 6) }

    public var description: String { bytes.hexString.filter { $0 != " " } }

    public static func < (lhs: BERTag, rhs: BERTag) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Reads one tag at `index`; returns it and the number of bytes it took.
    /// - Throws: ``CardDataError/Code/truncatedTag`` when the buffer ends inside the tag,
    ///   ``CardDataError/Code/tagTooLong`` past 4 bytes.
    static func decode(_ buffer: [UInt8], at index: Int, baseOffset: Int = 0) throws(CardDataError) -> (BERTag, Int) {
        guard index < buffer.count else { throw CardDataError(.truncatedTag, offset: baseOffset + index) }
        var value = UInt32(buffer[index])
        var count = 1
        if buffer[index] & 0x1F == 0x1F {
            while true {
                let next = index + count
                guard next < buffer.count else { throw CardDataError(.truncatedTag, offset: baseOffset + next) }
                guard count < 4 else { throw CardDataError(.tagTooLong, offset: baseOffset + index) }
                value = value << 8 | UInt32(buffer[next])
                count += 1
                if buffer[next] & 0x80 == 0 { break }
            }
        }
        return (BERTag(value), count)
    }
}
