/// One BER-TLV data object (ISO/IEC 8825-1, as profiled by EMV Book 3 Annex B and ISO/IEC 7816-4 §5.2).
///
/// A primitive object has a ``value``; a constructed object (bit 6 of the first tag byte set, e.g. `6F`, `70`,
/// `77`, `A5`, `BF0C`) also has its value parsed into ``children``. Parsing is strict about structure and never
/// reads outside the buffer:
///
/// - tags of 1–4 bytes (first byte `xxx11111` continues while b8 of the next byte is set);
/// - lengths in short form (`00`–`7F`) or long form `81 xx`, `82 xxxx`, `83 xxxxxx`; the indefinite form `80`
///   and forms `84`–`FF` are rejected;
/// - a length that runs past the end of its enclosing buffer is rejected;
/// - `00` and `FF` bytes before, between and after objects are skipped (EMV Book 3 Annex B: "may occur … without
///   any meaning").
///
/// ```swift
/// let objects = try BERTLV.parse(fci)
/// let pdol = objects.object(at: [0x6F, 0xA5, 0x9F38])?.value
/// let pan = objects.first(tag: 0x5A)?.value
/// ```
///
/// A value may be personal data (PAN, name, ID number): never log it. `description` shows tags and lengths only.
public struct BERTLV: Sendable, Hashable, CustomStringConvertible {
    /// Deepest nesting of constructed objects accepted; real EMV data nests 4 levels (`6F/A5/BF0C/61`).
    public static let maximumDepth = 16

    public let tag: BERTag
    /// The value bytes (for a constructed object, the encoding of its children, padding included).
    public let value: [UInt8]
    /// The parsed children of a constructed object; empty for a primitive object.
    public let children: [BERTLV]

    /// An object with a raw value. Meant for primitive objects: for a constructed tag the value is kept as given
    /// and ``children`` stays empty (build templates with ``init(tag:children:)``, or ``parse(_:)`` the encoding).
    public init(tag: BERTag, value: [UInt8]) {
        self.tag = tag
        self.value = value
        self.children = []
    }

    /// A constructed object (template) built from children; its value is their encoding.
    public init(tag: BERTag, children: [BERTLV]) {
        self.tag = tag
        self.children = children
        self.value = children.flatMap(\.encoded)
    }

    private init(tag: BERTag, value: [UInt8], children: [BERTLV]) {
        self.tag = tag
        self.value = value
        self.children = children
    }

    public var isConstructed: Bool { tag.isConstructed }

    /// The definite-length encoding: tag, length (short form below 128, else `81`/`82`/`83`), value.
    public var encoded: [UInt8] { tag.bytes + BERTLV.encodeLength(value.count) + value }

    /// The BER length field for `count` bytes of value (ISO/IEC 8825-1 §8.1.3, at most 3 length bytes).
    public static func encodeLength(_ count: Int) -> [UInt8] {
        precondition((0...0xFF_FFFF).contains(count), "BER-TLV value too long for a 3-byte length")
        switch count {
        case ..<0x80: return [UInt8(count)]
        case ..<0x100: return [0x81, UInt8(count)]
        case ..<0x1_0000: return [0x82, UInt8(count >> 8), UInt8(count & 0xFF)]
        default: return [0x83, UInt8(count >> 16), UInt8((count >> 8) & 0xFF), UInt8(count & 0xFF)]
        }
    }

    /// Depth-first search of this object's descendants (not the object itself) for the first object with `tag`.
    public func first(tag: BERTag) -> BERTLV? { children.first(tag: tag) }

    /// The direct child with `tag`, if any.
    public func child(_ tag: BERTag) -> BERTLV? { children.first { $0.tag == tag } }

    public var description: String {
        isConstructed
            ? "\(tag)[\(children.map(\.description).joined(separator: " "))]" : "\(tag)(\(value.count))"
    }

    // MARK: Parsing

    /// Parses a buffer holding zero or more BER-TLV objects, with `00`/`FF` padding allowed around them.
    ///
    /// Constructed objects are parsed recursively. Offsets in thrown errors count from the start of `bytes`.
    /// - Throws: ``CardDataError`` with ``CardDataError/Code/truncatedTag``, ``CardDataError/Code/tagTooLong``,
    ///   ``CardDataError/Code/truncatedLength``, ``CardDataError/Code/indefiniteLength``,
    ///   ``CardDataError/Code/unsupportedLengthForm``, ``CardDataError/Code/valueBeyondBuffer`` or
    ///   ``CardDataError/Code/nestingTooDeep``. Never traps on any input.
    public static func parse(_ bytes: [UInt8]) throws(CardDataError) -> [BERTLV] {
        try parse(bytes, baseOffset: 0, depth: 0)
    }

    /// Parses a buffer that must hold exactly one object (padding around it allowed) and returns it.
    /// - Throws: as ``parse(_:)``, and ``CardDataError/Code/unexpectedTemplate`` when there is not exactly one
    ///   object, or it does not have `expectedTag` when one is given.
    public static func parseSingle(_ bytes: [UInt8], expectedTag: BERTag? = nil) throws(CardDataError) -> BERTLV {
        let objects = try parse(bytes)
        guard objects.count == 1, let object = objects.first else {
            throw CardDataError(.unexpectedTemplate, offset: 0, tag: expectedTag)
        }
        if let expectedTag, object.tag != expectedTag {
            throw CardDataError(.unexpectedTemplate, offset: 0, tag: object.tag)
        }
        return object
    }

    private static func parse(_ bytes: [UInt8], baseOffset: Int, depth: Int) throws(CardDataError) -> [BERTLV] {
        guard depth <= maximumDepth else { throw CardDataError(.nestingTooDeep, offset: baseOffset) }
        var objects: [BERTLV] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x00 || bytes[index] == 0xFF {
                index += 1
                continue
            }
            let start = index
            let (tag, tagLength) = try BERTag.decode(bytes, at: index, baseOffset: baseOffset)
            index += tagLength
            let (length, lengthLength) = try decodeLength(bytes, at: index, baseOffset: baseOffset, tag: tag)
            index += lengthLength
            guard length <= bytes.count - index else {
                throw CardDataError(.valueBeyondBuffer, offset: baseOffset + start, tag: tag)
            }
            let value = Array(bytes[index..<(index + length)])
            let children =
                tag.isConstructed ? try parse(value, baseOffset: baseOffset + index, depth: depth + 1) : []
            objects.append(BERTLV(tag: tag, value: value, children: children))
            index += length
        }
        return objects
    }

    /// Reads a length field at `index`: returns the length and the number of bytes the field took.
    private static func decodeLength(
        _ bytes: [UInt8], at index: Int, baseOffset: Int, tag: BERTag
    ) throws(CardDataError) -> (Int, Int) {
        guard index < bytes.count else { throw CardDataError(.truncatedLength, offset: baseOffset + index, tag: tag) }
        let first = bytes[index]
        switch first {
        case 0x00...0x7F:
            return (Int(first), 1)
        case 0x80:
            throw CardDataError(.indefiniteLength, offset: baseOffset + index, tag: tag)
        case 0x81...0x83:
            let count = Int(first & 0x7F)
            guard count <= bytes.count - index - 1 else {
                throw CardDataError(.truncatedLength, offset: baseOffset + index, tag: tag)
            }
            var length = 0
            for byte in bytes[(index + 1)...(index + count)] { length = length << 8 | Int(byte) }
            return (length, 1 + count)
        default:
            throw CardDataError(.unsupportedLengthForm, offset: baseOffset + index, tag: tag)
        }
    }
}

extension Array where Element == BERTLV {
    /// Depth-first, in order: the first object with `tag` among these objects and all their descendants.
    public func first(tag: BERTag) -> BERTLV? {
        for object in self {
            if object.tag == tag { return object }
            if let found = object.children.first(tag: tag) { return found }
        }
        return nil
    }

    /// Follows a path of tags from this level down, taking the first match at each level:
    /// `objects.object(at: [0x6F, 0xA5, 0xBF0C])` is the FCI issuer discretionary data of a SELECT response.
    /// An empty path gives `nil`.
    public func object(at path: [BERTag]) -> BERTLV? {
        guard let head = path.first, let match = self.first(where: { $0.tag == head }) else { return nil }
        return path.count == 1 ? match : match.children.object(at: [BERTag](path.dropFirst()))
    }

    /// All objects with `tag` among these objects and their descendants, depth-first in order.
    public func all(tag: BERTag) -> [BERTLV] {
        flatMap { object in (object.tag == tag ? [object] : []) + object.children.all(tag: tag) }
    }
}
