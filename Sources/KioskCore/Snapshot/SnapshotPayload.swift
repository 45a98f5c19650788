public import Foundation
import Crypto

/// The SHA-256 of a payload fed in chunks, so a city-sized file is checked without being read whole.
public struct PayloadHasher: Sendable {
    private var sha = SHA256()

    public init() {}

    /// Adds the next bytes.
    public mutating func update(_ bytes: some DataProtocol) { sha.update(data: bytes) }

    /// Lower-case hex of the digest (64 characters), the form manifests name payloads by.
    public func hex() -> String {
        sha.finalize().map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// The hex SHA-256 of a file, read in 1 MiB chunks (a city-sized payload is never in memory).
    /// - Throws: the file's open or read error.
    public static func hex(ofFile file: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        var hasher = PayloadHasher()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(chunk) }
        return hasher.hex()
    }
}

/// A full or delta snapshot payload, decoded (DESIGN.md §5). Payloads are content-addressed by their SHA-256, which
/// the signed ``SnapshotManifest`` names; so the bytes are authenticated before they are parsed, yet the parser still
/// treats them as untrusted input (every malformed input is a ``SnapshotFormatError``, never a crash).
///
/// ## Format, version 01
///
/// Integers are big-endian. Header, 45 bytes:
///
/// | Offset | Size | Field |
/// |---|---|---|
/// | 0 | 8 | magic and version, ASCII `CKSNAP01` |
/// | 8 | u8 | kind: 0 full, 1 delta |
/// | 9 | u32 | key epoch |
/// | 13 | u64 | sequence (≤ `Int.max`) |
/// | 21 | u64 | fromSequence: 0 for a full payload; for a delta, the sequence it applies to (< sequence) |
/// | 29 | i64 | createdAt, unix seconds, 0 (1970) to 253 402 300 799 (9999-12-31T23:59:59Z) |
/// | 37 | u64 | entryCount |
///
/// Then `entryCount` entries, **strictly ascending by key** (bytewise), each:
///
/// | Size | Field |
/// |---|---|
/// | 16 | subject key |
/// | u8 | op: low 7 bits 0 upsert, 1 delete (a full payload holds upserts only); bit 0x80 = popup text follows |
/// | 16 | upserts only: ``PackedStatus`` |
/// | u16 + n | only with bit 0x80: zh text length + UTF-8 |
/// | u16 + n | only with bit 0x80: en text length + UTF-8 |
///
/// and nothing after the last entry. Bit 0x80 is set exactly when the record's popup guidance is not the default for
/// its code (``PackedStatus/customPopupText(of:)``); it needs a popup (code ≠ 0) and an upsert.
///
/// Sizes: 33 bytes per full entry without custom text, 17 per delete. The text sits beside its entry instead of in a
/// trailer, so every entry is complete when read and a streaming reader never looks ahead. A delta applied to the
/// kiosk's snapshot at `fromSequence` gives the snapshot at `sequence`: upsert = insert or replace, delete = remove
/// (deleting an absent key is not an error for the applier).
public struct SnapshotPayload: Sendable, Hashable {
    public var header: SnapshotPayloadHeader
    public var entries: [SnapshotPayloadEntry]

    public init(header: SnapshotPayloadHeader, entries: [SnapshotPayloadEntry]) {
        self.header = header
        self.entries = entries
    }

    /// Parses a whole payload.
    public static func decode(_ bytes: [UInt8]) throws(SnapshotFormatError) -> SnapshotPayload {
        var reader = SnapshotPayloadReader()
        reader.feed(bytes)
        var entries: [SnapshotPayloadEntry] = []
        while let entry = try reader.nextEntry() { entries.append(entry) }
        try reader.finish()
        return SnapshotPayload(header: reader.header!, entries: entries)
    }

    /// Parses a whole payload.
    public static func decode(_ data: Data) throws(SnapshotFormatError) -> SnapshotPayload {
        try decode([UInt8](data))
    }

    /// Encodes; the header's `entryCount` is taken from `entries`, which must be strictly ascending by key.
    public func encoded() throws(SnapshotFormatError) -> [UInt8] {
        var h = header
        h.entryCount = entries.count
        var writer = try SnapshotPayloadWriter(header: h)
        for entry in entries { try writer.append(entry) }
        return try writer.finish()
    }

    /// Lower-case hex SHA-256, the payload's content address.
    public static func sha256Hex(of bytes: some DataProtocol) -> String {
        var hasher = PayloadHasher()
        hasher.update(bytes)
        return hasher.hex()
    }

    static let magic: [UInt8] = Array("CKSNAP01".utf8)
    static let headerSize = 45
}

/// The fixed-size header of a payload.
public struct SnapshotPayloadHeader: Sendable, Hashable {
    public enum Kind: UInt8, Sendable, Hashable {
        case full = 0
        case delta = 1
    }

    public var kind: Kind
    public var epoch: Int
    public var sequence: Int
    /// 0 for a full payload.
    public var fromSequence: Int
    /// Whole seconds.
    public var createdAt: Date
    public var entryCount: Int

    public init(kind: Kind, epoch: Int, sequence: Int, fromSequence: Int = 0, createdAt: Date, entryCount: Int) {
        self.kind = kind
        self.epoch = epoch
        self.sequence = sequence
        self.fromSequence = fromSequence
        self.createdAt = SnapshotManifest.wholeSeconds(createdAt)
        self.entryCount = entryCount
    }

    /// Latest `createdAt` a header holds: 9999-12-31T23:59:59Z, the last instant RFC 3339 (and the manifest) can write.
    /// Larger values would not survive the round trip through `Date` (a `Double`): above 2^53 seconds they lose
    /// precision, and near 2^63 converting back to an integer traps.
    static let latestCreatedAt: Int64 = 253_402_300_799

    func validate() throws(SnapshotFormatError) {
        guard (0...Int(UInt32.max)).contains(epoch) else { throw SnapshotFormatError(.badHeader, "epoch \(epoch)") }
        let created = createdAt.timeIntervalSince1970
        guard created >= 0, created <= Double(Self.latestCreatedAt) else {
            throw SnapshotFormatError(.badHeader, "createdAt outside 1970…9999")
        }
        guard sequence >= 0, entryCount >= 0 else { throw SnapshotFormatError(.badHeader, "negative sequence/count") }
        switch kind {
        case .full:
            guard fromSequence == 0 else { throw SnapshotFormatError(.badHeader, "full payload with fromSequence") }
        case .delta:
            guard fromSequence >= 0, fromSequence < sequence else {
                throw SnapshotFormatError(.badHeader, "delta fromSequence \(fromSequence) ≥ sequence \(sequence)")
            }
        }
    }

    func encoded() -> [UInt8] {
        var out = SnapshotPayload.magic
        out.reserveCapacity(SnapshotPayload.headerSize)
        out.append(kind.rawValue)
        out.appendBigEndian(UInt64(epoch), bytes: 4)
        out.appendBigEndian(UInt64(sequence), bytes: 8)
        out.appendBigEndian(UInt64(fromSequence), bytes: 8)
        out.appendBigEndian(UInt64(bitPattern: Int64(createdAt.timeIntervalSince1970)), bytes: 8)
        out.appendBigEndian(UInt64(entryCount), bytes: 8)
        return out
    }
}

/// One entry of a payload.
public struct SnapshotPayloadEntry: Sendable, Hashable {
    public enum Change: Sendable, Hashable {
        case upsert(StatusRecord)
        case delete
    }

    public var key: SubjectKey
    public var change: Change

    public init(key: SubjectKey, change: Change) {
        self.key = key
        self.change = change
    }
}

/// Writes a payload entry by entry, checking order, so a million-subject snapshot never needs to be in memory as
/// values. Bytes accumulate in an internal buffer: drain it with ``takeBytes()`` as often as convenient (e.g. every
/// 64 KiB into a file), and end with ``finish()``, which returns whatever is left.
///
/// ```swift
/// var writer = try SnapshotPayloadWriter(header: header)   // header.entryCount must be known up front
/// for (key, record) in rowsInKeyOrder {
///     try writer.append(SnapshotPayloadEntry(key: key, change: .upsert(record)))
///     if writer.bufferedByteCount > 65536 { try file.write(contentsOf: writer.takeBytes()) }
/// }
/// try file.write(contentsOf: writer.finish())
/// ```
public struct SnapshotPayloadWriter: Sendable {
    public let header: SnapshotPayloadHeader
    private var buffer: [UInt8]
    private var lastKey: SubjectKey?
    private var written = 0

    /// Starts a payload; throws `.badHeader` for an inconsistent header.
    public init(header: SnapshotPayloadHeader) throws(SnapshotFormatError) {
        try header.validate()
        self.header = header
        buffer = header.encoded()
    }

    /// Entries appended so far.
    public var entriesWritten: Int { written }
    /// Bytes not yet taken.
    public var bufferedByteCount: Int { buffer.count }

    /// Appends an entry. Throws `.unsorted` / `.duplicateKey` when its key is not above the previous one, `.badOp` for
    /// a delete in a full payload, `.countMismatch` beyond `entryCount`, `.unrepresentable` for a record the packed
    /// form cannot hold. Nothing is written when it throws.
    public mutating func append(_ entry: SnapshotPayloadEntry) throws(SnapshotFormatError) {
        if let lastKey {
            if entry.key == lastKey { throw SnapshotFormatError(.duplicateKey, "key \(entry.key)") }
            if entry.key < lastKey { throw SnapshotFormatError(.unsorted, "key \(entry.key) after \(lastKey)") }
        }
        guard written < header.entryCount else {
            throw SnapshotFormatError(.countMismatch, "more than \(header.entryCount) entries")
        }
        switch entry.change {
        case .delete:
            guard header.kind == .delta else { throw SnapshotFormatError(.badOp, "delete in a full payload") }
            buffer.append(contentsOf: entry.key.bytes)
            buffer.append(1)
        case .upsert(let record):
            let packed = try PackedStatus(record)
            let text = PackedStatus.customPopupText(of: record)
            var textBytes: [UInt8] = []
            if let text {
                let zh = Array(text.zh.utf8)
                let en = Array(text.en.utf8)
                guard zh.count <= 0xFFFF, en.count <= 0xFFFF else {
                    throw SnapshotFormatError(.unrepresentable, "popup text longer than 65535 bytes")
                }
                textBytes.appendBigEndian(UInt64(zh.count), bytes: 2)
                textBytes.append(contentsOf: zh)
                textBytes.appendBigEndian(UInt64(en.count), bytes: 2)
                textBytes.append(contentsOf: en)
            }
            buffer.append(contentsOf: entry.key.bytes)
            buffer.append(text == nil ? 0 : 0x80)
            buffer.append(contentsOf: packed.bytes)
            buffer.append(contentsOf: textBytes)
        }
        lastKey = entry.key
        written += 1
    }

    /// Removes and returns the bytes produced so far.
    public mutating func takeBytes() -> [UInt8] {
        defer { buffer.removeAll(keepingCapacity: true) }
        return buffer
    }

    /// Checks that `entryCount` entries were appended (`.countMismatch` otherwise) and returns the remaining bytes.
    public mutating func finish() throws(SnapshotFormatError) -> [UInt8] {
        guard written == header.entryCount else {
            throw SnapshotFormatError(.countMismatch, "\(written) entries written, header says \(header.entryCount)")
        }
        return takeBytes()
    }
}

extension Array where Element == UInt8 {
    mutating func appendBigEndian(_ value: UInt64, bytes: Int) {
        for i in stride(from: bytes - 1, through: 0, by: -1) { append(UInt8((value >> (8 * UInt64(i))) & 0xFF)) }
    }
}
