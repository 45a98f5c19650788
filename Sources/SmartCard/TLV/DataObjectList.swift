/// A data object list (DOL, EMV Book 3 §5.4): a list of tag + length pairs without values, by which the card
/// asks the terminal for data, e.g. the PDOL (tag `9F38`) in a SELECT response, answered in the data of
/// GET PROCESSING OPTIONS.
///
/// Each entry is a BER tag (1–4 bytes) followed by a **one-byte** length (EMV Book 3 §5.4). Padding bytes are not
/// allowed inside a DOL.
public struct DataObjectList: Sendable, Hashable, CustomStringConvertible {
    public struct Entry: Sendable, Hashable {
        public var tag: BERTag
        /// Length in bytes of the value the card expects.
        public var length: Int

        public init(tag: BERTag, length: Int) {
            self.tag = tag
            self.length = length
        }
    }

    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    /// Parses the value of a DOL data object (e.g. the bytes of tag `9F38`).
    /// - Throws: ``CardDataError/Code/truncatedDOL`` when the list ends inside an entry (after a tag, or inside a
    ///   multi-byte tag); ``CardDataError/Code/tagTooLong`` for a tag past 4 bytes.
    public init(parsing bytes: [UInt8]) throws(CardDataError) {
        var entries: [Entry] = []
        var index = 0
        while index < bytes.count {
            let tag: BERTag
            let tagLength: Int
            do {
                (tag, tagLength) = try BERTag.decode(bytes, at: index)
            } catch where error.code == .truncatedTag {
                throw CardDataError(.truncatedDOL, offset: error.offset)
            }
            index += tagLength
            guard index < bytes.count else { throw CardDataError(.truncatedDOL, offset: index, tag: tag) }
            entries.append(Entry(tag: tag, length: Int(bytes[index])))
            index += 1
        }
        self.entries = entries
    }

    /// Sum of the entry lengths: the length of the data built from this list.
    public var totalLength: Int { entries.reduce(0) { $0 + $1.length } }

    /// Concatenates one value per entry, in order (EMV Book 3 §5.4). `value(tag, length)` supplies a value, or
    /// `nil` for an unknown tag, which is sent as `length` zero bytes. A value of the wrong size is fitted:
    /// numeric (`n`) values, flagged by `isNumeric`, are left-padded with zeros or cut on the left; others are
    /// right-padded with zeros or cut on the right (EMV Book 3 §5.4 rules for format `n` and `b`/`an`).
    public func build(
        value: (_ tag: BERTag, _ length: Int) -> (bytes: [UInt8], isNumeric: Bool)?
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(totalLength)
        for entry in entries {
            guard let supplied = value(entry.tag, entry.length) else {
                out += [UInt8](repeating: 0, count: entry.length)
                continue
            }
            out += Self.fit(supplied.bytes, to: entry.length, numeric: supplied.isNumeric)
        }
        return out
    }

    static func fit(_ bytes: [UInt8], to length: Int, numeric: Bool) -> [UInt8] {
        if bytes.count == length { return bytes }
        if numeric {
            return bytes.count > length
                ? Array(bytes.suffix(length)) : [UInt8](repeating: 0, count: length - bytes.count) + bytes
        }
        return bytes.count > length
            ? Array(bytes.prefix(length)) : bytes + [UInt8](repeating: 0, count: length - bytes.count)
    }

    /// Tags and lengths, e.g. `9F66:4 9F02:6`: no personal data in a DOL.
    public var description: String { entries.map { "\($0.tag):\($0.length)" }.joined(separator: " ") }
}
