import Foundation

/// Parses a payload (format in ``SnapshotPayload``) incrementally: feed bytes as they arrive, take entries as soon as
/// they are complete, and call ``finish()`` at the end of input.
///
/// ```swift
/// var reader = SnapshotPayloadReader()
/// for try await chunk in body {
///     reader.feed(chunk)
///     while let entry = try reader.nextEntry() { try store.apply(entry) }
/// }
/// try reader.finish()    // .truncated if the body ended early, .trailingBytes if it ran long
/// ```
///
/// Every malformed input throws a ``SnapshotFormatError`` (never traps), as early as it can be detected: a wrong
/// magic after the first byte, a key out of order before the entry is returned. After an error the reader keeps
/// throwing it. ``header`` is set once the 45 header bytes are in (after the first ``nextEntry()`` call that has them).
public struct SnapshotPayloadReader: Sendable {
    private var buffer: [UInt8] = []
    private var offset = 0
    private var lastKey: [UInt8]?
    private var failure: SnapshotFormatError?

    /// The header, once parsed.
    public private(set) var header: SnapshotPayloadHeader?
    /// Entries returned so far.
    public private(set) var entriesRead = 0

    public init() {}

    /// Whether the header and all `entryCount` entries have been read.
    public var isComplete: Bool { header.map { entriesRead == $0.entryCount } ?? false }

    /// Bytes fed but not yet parsed.
    public var pendingByteCount: Int { buffer.count - offset }

    /// Appends input.
    public mutating func feed(_ bytes: some Sequence<UInt8>) {
        if offset > 1 << 16, offset * 2 > buffer.count {
            buffer.removeFirst(offset)
            offset = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete entry, or `nil` when more input is needed or every entry has been read.
    public mutating func nextEntry() throws(SnapshotFormatError) -> SnapshotPayloadEntry? {
        if let failure { throw failure }
        do {
            return try parseNext()
        } catch {
            failure = error
            throw error
        }
    }

    /// Declares the end of input: throws `.truncated` unless the header and every entry were read, `.trailingBytes`
    /// if input remains after the last entry. Call it after ``nextEntry()`` returned `nil`.
    public mutating func finish() throws(SnapshotFormatError) {
        if let failure { throw failure }
        let error: SnapshotFormatError
        if pendingByteCount > 0, isComplete {
            error = SnapshotFormatError(.trailingBytes, "\(pendingByteCount) bytes after the last entry")
        } else if !isComplete {
            error = SnapshotFormatError(
                .truncated,
                header == nil
                    ? "input ended inside the header"
                    : "input ended after \(entriesRead) of \(header!.entryCount) entries")
        } else {
            return
        }
        failure = error
        throw error
    }

    // MARK: Parsing

    private mutating func parseNext() throws(SnapshotFormatError) -> SnapshotPayloadEntry? {
        guard let header else {
            try parseHeader()
            return self.header == nil ? nil : try parseNext()
        }
        let available = buffer.count - offset
        if entriesRead == header.entryCount {
            if available > 0 { throw SnapshotFormatError(.trailingBytes, "\(available) bytes after the last entry") }
            return nil
        }
        guard available >= 17 else { return nil }
        let op = buffer[offset + 16]
        let hasText = op & 0x80 != 0
        var size = 17
        switch op & 0x7F {
        case 0: size += 16
        case 1:
            guard header.kind == .delta else { throw SnapshotFormatError(.badOp, "delete in a full payload") }
            guard !hasText else { throw SnapshotFormatError(.badOp, "popup text on a delete") }
        default: throw SnapshotFormatError(.badOp, "op \(op) in entry \(entriesRead)")
        }
        var zhRange = 0..<0
        var enRange = 0..<0
        if hasText {
            guard available >= size + 2 else { return nil }
            let zhLength = Int(buffer[offset + size]) << 8 | Int(buffer[offset + size + 1])
            zhRange = (offset + size + 2)..<(offset + size + 2 + zhLength)
            size += 2 + zhLength
            guard available >= size + 2 else { return nil }
            let enLength = Int(buffer[offset + size]) << 8 | Int(buffer[offset + size + 1])
            enRange = (offset + size + 2)..<(offset + size + 2 + enLength)
            size += 2 + enLength
        }
        guard available >= size else { return nil }

        let keyBytes = Array(buffer[offset..<(offset + 16)])
        if let lastKey {
            if keyBytes == lastKey { throw SnapshotFormatError(.duplicateKey, "entry \(entriesRead)") }
            if keyBytes.lexicographicallyPrecedes(lastKey) { throw SnapshotFormatError(.unsorted, "entry \(entriesRead)") }
        }
        let key = SubjectKey(bytes: keyBytes)!
        let change: SnapshotPayloadEntry.Change
        if op & 0x7F == 1 {
            change = .delete
        } else {
            var text: Guidance?
            if hasText {
                guard let zh = String(validating: buffer[zhRange], as: UTF8.self),
                    let en = String(validating: buffer[enRange], as: UTF8.self)
                else { throw SnapshotFormatError(.badRecord, "popup text is not UTF-8 in entry \(entriesRead)") }
                text = Guidance(zh: zh, en: en)
            }
            let packed = PackedStatus(bytes: Array(buffer[(offset + 17)..<(offset + 33)]))!
            do {
                change = .upsert(try packed.record(customPopupText: text))
            } catch {
                throw SnapshotFormatError(error.code, "\(error.detail) in entry \(entriesRead)")
            }
        }
        offset += size
        lastKey = keyBytes
        entriesRead += 1
        return SnapshotPayloadEntry(key: key, change: change)
    }

    private mutating func parseHeader() throws(SnapshotFormatError) {
        let available = buffer.count - offset
        let magic = SnapshotPayload.magic
        for i in 0..<min(available, 8) where buffer[offset + i] != magic[i] {
            throw i < 6
                ? SnapshotFormatError(.badMagic, "not a CardKiosk snapshot payload")
                : SnapshotFormatError(.unsupportedVersion, "payload version is not 01")
        }
        guard available >= SnapshotPayload.headerSize else { return }
        func integer(_ at: Int, _ size: Int) -> UInt64 {
            var v: UInt64 = 0
            for i in 0..<size { v = v << 8 | UInt64(buffer[offset + at + i]) }
            return v
        }
        guard let kind = SnapshotPayloadHeader.Kind(rawValue: buffer[offset + 8]) else {
            throw SnapshotFormatError(.badHeader, "kind \(buffer[offset + 8])")
        }
        let sequence = integer(13, 8)
        let from = integer(21, 8)
        let count = integer(37, 8)
        guard sequence <= UInt64(Int.max), from <= UInt64(Int.max), count <= UInt64(Int.max) else {
            throw SnapshotFormatError(.badHeader, "sequence or entry count beyond Int.max")
        }
        let created = Int64(bitPattern: integer(29, 8))
        guard (0...SnapshotPayloadHeader.latestCreatedAt).contains(created) else {
            throw SnapshotFormatError(.badHeader, "createdAt \(created) outside 1970…9999")
        }
        let header = SnapshotPayloadHeader(
            kind: kind, epoch: Int(integer(9, 4)), sequence: Int(sequence), fromSequence: Int(from),
            createdAt: .init(timeIntervalSince1970: Double(created)), entryCount: Int(count))
        try header.validate()
        offset += SnapshotPayload.headerSize
        self.header = header
    }
}
