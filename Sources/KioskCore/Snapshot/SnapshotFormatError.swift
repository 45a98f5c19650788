/// A snapshot manifest or payload that cannot be used: malformed bytes, a bad signature, or a value the format cannot
/// represent. Equality compares the ``code`` only, so tests write `#expect(throws: SnapshotFormatError(.truncated))`.
public struct SnapshotFormatError: Error, Hashable, CustomStringConvertible {
    /// What went wrong. An enum-like struct, so codes can be added without breaking callers' `switch`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        private init(_ name: String) { self.name = name }

        /// The payload does not start with `CKSNAP`.
        public static let badMagic = Code("badMagic")
        /// The payload starts with `CKSNAP` but its version is not `01`.
        public static let unsupportedVersion = Code("unsupportedVersion")
        /// The input ended inside the header or an entry, or before `entryCount` entries were read.
        public static let truncated = Code("truncated")
        /// An entry's key is smaller than the previous one.
        public static let unsorted = Code("unsorted")
        /// An entry's key equals the previous one.
        public static let duplicateKey = Code("duplicateKey")
        /// An unknown operation, a delete in a full payload, or text flags on a delete.
        public static let badOp = Code("badOp")
        /// A packed record with an out-of-range field (status, result, inconsistent "none" markers, bad UTF-8).
        public static let badRecord = Code("badRecord")
        /// Bytes after the last entry.
        public static let trailingBytes = Code("trailingBytes")
        /// A header field out of range (kind, fromSequence, sequence beyond `Int`, createdAt outside 1970…9999).
        public static let badHeader = Code("badHeader")
        /// The manifest's signature is not base64 or does not verify with the pinned key.
        public static let badSignature = Code("badSignature")
        /// The manifest's epoch key is not base64 of 32 bytes.
        public static let badEpochKey = Code("badEpochKey")
        /// Encoding: a record value the packed form cannot hold (time before 2020, popup code > 255, …).
        public static let unrepresentable = Code("unrepresentable")
        /// Encoding: more or fewer entries than the header announced.
        public static let countMismatch = Code("countMismatch")

        public var description: String { name }
    }

    public let code: Code
    /// Human-readable detail (offsets, field names). Never contains identity data: payloads carry subject keys only.
    public let detail: String

    public init(_ code: Code, _ detail: String = "") {
        self.code = code
        self.detail = detail
    }

    public var description: String { detail.isEmpty ? "SnapshotFormatError.\(code)" : "SnapshotFormatError.\(code): \(detail)" }

    public static func == (lhs: SnapshotFormatError, rhs: SnapshotFormatError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
