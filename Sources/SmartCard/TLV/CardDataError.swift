/// A structural error in data read from a card: BER-TLV, a data object list, an AFL or a BCD field.
///
/// Shaped like the house errors (STYLE.md "Errors"): a ``Code`` that tests compare on, a byte offset into the
/// buffer being parsed, the tag involved when there is one, and the source location that threw. Equality compares
/// the code only, so a test writes `#expect(throws: CardDataError(.indefiniteLength))`.
///
/// The description never contains value bytes (they may be personal data), only codes, offsets and tags.
public struct CardDataError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong with the data. An enum-like struct so codes can be added without breaking callers' `switch`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: Hashable {
            case truncatedTag, tagTooLong, truncatedLength, indefiniteLength, unsupportedLengthForm
            case valueBeyondBuffer, nestingTooDeep
            case truncatedDOL
            case aflLengthNotMultipleOf4, aflInvalidSFI, aflInvalidRecordRange
            case invalidBCD, missingObject, unexpectedTemplate
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The buffer ends inside a tag: no bytes left for the tag, or a multi-byte tag whose next byte is missing.
        public static let truncatedTag = Code(.truncatedTag)
        /// A tag longer than 4 bytes (EMV Book 3 Annex B uses at most 3; ISO/IEC 8825-1 allows more, we do not).
        public static let tagTooLong = Code(.tagTooLong)
        /// The buffer ends inside a length field (after the tag, or inside the bytes a long form announced).
        public static let truncatedLength = Code(.truncatedLength)
        /// Length byte `80`: the BER indefinite form, which EMV and ISO/IEC 7816-4 do not allow.
        public static let indefiniteLength = Code(.indefiniteLength)
        /// Length byte `84`…`FF`: more than 3 length bytes (EMV Book 3 Annex B1 allows `81`, `82`, `83`).
        public static let unsupportedLengthForm = Code(.unsupportedLengthForm)
        /// The length announces more value bytes than the buffer holds.
        public static let valueBeyondBuffer = Code(.valueBeyondBuffer)
        /// Constructed objects nested deeper than ``BERTLV/maximumDepth``.
        public static let nestingTooDeep = Code(.nestingTooDeep)
        /// A data object list (EMV Book 3 §5.4) ends inside an entry.
        public static let truncatedDOL = Code(.truncatedDOL)
        /// An AFL (tag 94) whose length is not a multiple of 4 (EMV Book 3 §10.2).
        public static let aflLengthNotMultipleOf4 = Code(.aflLengthNotMultipleOf4)
        /// An AFL entry with SFI 0 or 31 (valid SFIs are 1–30, EMV Book 3 §10.2).
        public static let aflInvalidSFI = Code(.aflInvalidSFI)
        /// An AFL entry whose first record is 0 or greater than its last record (EMV Book 3 §10.2).
        public static let aflInvalidRecordRange = Code(.aflInvalidRecordRange)
        /// A BCD (`n`/`cn`) field with a nibble that is not a digit where one is required.
        public static let invalidBCD = Code(.invalidBCD)
        /// A mandatory data object is absent.
        public static let missingObject = Code(.missingObject)
        /// A response or record is not the template it must be (e.g. a record that is not tag `70`).
        public static let unexpectedTemplate = Code(.unexpectedTemplate)

        public var description: String {
            switch base {
            case .truncatedTag: "truncated tag"
            case .tagTooLong: "tag longer than 4 bytes"
            case .truncatedLength: "truncated length"
            case .indefiniteLength: "indefinite length (80) not allowed"
            case .unsupportedLengthForm: "length form longer than 83 not supported"
            case .valueBeyondBuffer: "value extends beyond the buffer"
            case .nestingTooDeep: "constructed objects nested too deeply"
            case .truncatedDOL: "truncated data object list"
            case .aflLengthNotMultipleOf4: "AFL length not a multiple of 4"
            case .aflInvalidSFI: "AFL entry with SFI outside 1-30"
            case .aflInvalidRecordRange: "AFL entry with an invalid record range"
            case .invalidBCD: "invalid BCD digits"
            case .missingObject: "mandatory data object missing"
            case .unexpectedTemplate: "unexpected template"
            }
        }
    }

    public var code: Code
    /// Byte offset into the outermost buffer where the problem was found, when known.
    public var offset: Int?
    /// The tag being parsed or looked for, when known.
    public var tag: BERTag?
    /// Where the error was thrown (`#fileID`), for diagnostics.
    public var fileID: String
    public var line: Int

    public init(_ code: Code, offset: Int? = nil, tag: BERTag? = nil, fileID: String = #fileID, line: Int = #line) {
        self.code = code
        self.offset = offset
        self.tag = tag
        self.fileID = fileID
        self.line = line
    }

    public static func == (lhs: CardDataError, rhs: CardDataError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    public var description: String {
        var text = code.description
        if let tag { text += " (tag \(tag))" }
        if let offset { text += " at offset \(offset)" }
        return text
    }
}
