import Crypto
public import Foundation
import GRDB
public import KioskCore

/// Builds signed manifests and the payloads they name. Payloads are built on demand (when a manifest first needs
/// them) from one consistent read of the store, written to `<payloadDirectory>/<sha256>` and indexed in the store,
/// so later manifests and `GET /v1/snapshots/payloads/{sha256}` reuse the file. An actor, so concurrent kiosks never
/// build the same payload twice.
public actor SnapshotPublisher {
    let store: CentralStore
    let directory: URL
    let signingKey: Curve25519.Signing.PrivateKey
    let maxAgeSeconds: Int
    let now: @Sendable () -> Date

    public init(store: CentralStore, configuration: CentralConfiguration) throws {
        self.store = store
        directory = URL(fileURLWithPath: configuration.payloadDirectory, isDirectory: true)
        signingKey = configuration.signingKey
        maxAgeSeconds = configuration.snapshotMaxAgeSeconds
        now = configuration.now
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// No snapshot has been imported yet.
    public struct NothingPublished: Error {}

    /// The signed manifest for a kiosk at sequence `since` (`nil`: no snapshot installed). `full` is always there;
    /// `delta` when `since` is a sequence of the current epoch, not below the delta floor (tombstones kept), created
    /// within the retention, and older than the current sequence.
    public func manifest(since: Int?) async throws -> SnapshotManifest {
        let retention = TimeInterval(store.deltaRetentionSeconds)
        let nowDate = now()
        let directory = directory
        let (state, full, delta, newRows) = try await store.pool.read {
            db -> (CentralStore.State, PayloadRow, PayloadRow?, [PayloadRow]) in
            guard let state = try CentralStore.state(db) else { throw NothingPublished() }
            var built: [PayloadRow] = []
            let full = try Self.payload(
                db, kind: .full, state: state, from: 0, directory: directory, built: &built)
            var delta: PayloadRow?
            if let since, since < state.sequence, since >= state.deltaFloor, since > 0,
                let info = try Row.fetchOne(
                    db, sql: "SELECT epoch, createdAt FROM sequence WHERE number = ?", arguments: [since]),
                (info[0] as Int) == state.epoch,
                TimeInterval(info[1] as Int64) >= nowDate.timeIntervalSince1970 - retention
            {
                delta = try Self.payload(
                    db, kind: .delta, state: state, from: since, directory: directory, built: &built)
            }
            return (state, full, delta, built)
        }
        if !newRows.isEmpty {
            let stale = try await store.pool.write { db -> [String] in
                // Payloads of sequences older than the previous one are no longer named by any manifest: drop them
                // (the previous sequence's stay, for kiosks still downloading them).
                let stale = try String.fetchAll(
                    db, sql: "SELECT sha256 FROM payload WHERE sequence < ?", arguments: [state.sequence - 1])
                try db.execute(sql: "DELETE FROM payload WHERE sequence < ?", arguments: [state.sequence - 1])
                for row in newRows {
                    try db.execute(
                        sql: """
                            INSERT OR REPLACE INTO payload (sha256, kind, epoch, sequence, fromSequence, bytes, records)
                            VALUES (?, ?, ?, ?, ?, ?, ?)
                            """,
                        arguments: [
                            row.sha256, row.kind == .full ? "full" : "delta", row.epoch, row.sequence,
                            row.fromSequence, row.bytes, row.records,
                        ])
                }
                return stale
            }
            for sha256 in stale where !newRows.contains(where: { $0.sha256 == sha256 }) {
                try? FileManager.default.removeItem(at: directory.appendingPathComponent(sha256))
            }
        }
        let manifest = SnapshotManifest(
            epochKey: state.epochKey, sequence: state.sequence, createdAt: state.asOf, maxAgeSeconds: maxAgeSeconds,
            records: state.records, full: full.reference, delta: delta?.reference)
        return manifest.signed(with: signingKey)
    }

    /// The file of a payload this centre built, or `nil` for an unknown hash or a payload whose file is gone.
    public func payloadFile(sha256: String) async throws -> URL? {
        guard sha256.utf8.count == 64, sha256.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        else { return nil }
        let known = try await store.pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM payload WHERE sha256 = ?", arguments: [sha256]) ?? false
        }
        let url = directory.appendingPathComponent(sha256)
        return known && FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    // MARK: Building

    struct PayloadRow: Sendable {
        var sha256: String
        var kind: SnapshotPayloadHeader.Kind
        var epoch: Int
        var sequence: Int
        var fromSequence: Int
        var bytes: Int
        var records: Int

        var reference: PayloadReference {
            PayloadReference(
                url: "/v1/snapshots/payloads/\(sha256)", sha256: sha256, bytes: bytes,
                fromSequence: kind == .delta ? fromSequence : nil)
        }
    }

    /// The indexed payload for `state` (full, or delta from `from`), building it when it is not indexed or its file
    /// is gone.
    private static func payload(
        _ db: Database, kind: SnapshotPayloadHeader.Kind, state: CentralStore.State, from: Int, directory: URL,
        built: inout [PayloadRow]
    ) throws -> PayloadRow {
        if let row = try Row.fetchOne(
            db,
            sql: """
                SELECT sha256, bytes, records FROM payload
                WHERE kind = ? AND epoch = ? AND sequence = ? AND fromSequence = ?
                """, arguments: [kind == .full ? "full" : "delta", state.epoch, state.sequence, from]),
            FileManager.default.fileExists(atPath: directory.appendingPathComponent(row[0] as String).path)
        {
            return PayloadRow(
                sha256: row[0], kind: kind, epoch: state.epoch, sequence: state.sequence, fromSequence: from,
                bytes: row[1], records: row[2])
        }
        let row = try build(db, kind: kind, state: state, from: from, directory: directory)
        built.append(row)
        return row
    }

    /// Streams the rows, in key order, through a ``SnapshotPayloadWriter`` into a temporary file, hashing as it goes,
    /// then renames the file to its hash.
    static func build(
        _ db: Database, kind: SnapshotPayloadHeader.Kind, state: CentralStore.State, from: Int, directory: URL
    ) throws -> PayloadRow {
        let count: Int
        let sql: String
        switch kind {
        case .full:
            count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM status WHERE epoch = ?", arguments: [state.epoch])!
            sql = """
                SELECT subjectKey, packed, popupZh, popupEn FROM status WHERE epoch = ?1 AND ?2 >= 0
                ORDER BY subjectKey
                """
        case .delta:
            count = try Int.fetchOne(
                db,
                sql: """
                    SELECT (SELECT COUNT(*) FROM status WHERE epoch = ?1 AND changedInSequence > ?2)
                         + (SELECT COUNT(*) FROM tombstone WHERE epoch = ?1 AND deletedInSequence > ?2)
                    """, arguments: [state.epoch, from])!
            sql = """
                SELECT subjectKey, packed, popupZh, popupEn FROM status WHERE epoch = ?1 AND changedInSequence > ?2
                UNION ALL
                SELECT subjectKey, NULL, NULL, NULL FROM tombstone WHERE epoch = ?1 AND deletedInSequence > ?2
                ORDER BY subjectKey
                """
        }
        let header = SnapshotPayloadHeader(
            kind: kind, epoch: state.epoch, sequence: state.sequence, fromSequence: kind == .full ? 0 : from,
            createdAt: state.sequenceCreatedAt, entryCount: count)
        var writer = try SnapshotPayloadWriter(header: header)
        let temporary = directory.appendingPathComponent(".building-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temporary.path])
        }
        var hasher = SHA256()
        var total = 0
        do {
            let handle = try FileHandle(forWritingTo: temporary)
            defer { try? handle.close() }
            func flush(_ bytes: [UInt8]) throws {
                hasher.update(data: bytes)
                total += bytes.count
                try handle.write(contentsOf: bytes)
            }
            let cursor = try Row.fetchCursor(db, sql: sql, arguments: [state.epoch, from])
            while let row = try cursor.next() {
                let key = SubjectKey(bytes: Array(row[0] as Data))!
                if let packed = row[1] as Data? {
                    let record = try CentralStore.record(packed: packed, zh: row[2], en: row[3])
                    try writer.append(SnapshotPayloadEntry(key: key, change: .upsert(record)))
                } else {
                    try writer.append(SnapshotPayloadEntry(key: key, change: .delete))
                }
                if writer.bufferedByteCount >= 1 << 20 { try flush(writer.takeBytes()) }
            }
            try flush(try writer.finish())
            try handle.synchronize()
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
        let sha = hasher.finalize().map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        let destination = directory.appendingPathComponent(sha)
        if FileManager.default.fileExists(atPath: destination.path) {
            try FileManager.default.removeItem(at: temporary)
        } else {
            try FileManager.default.moveItem(at: temporary, to: destination)
        }
        return PayloadRow(
            sha256: sha, kind: kind, epoch: state.epoch, sequence: state.sequence, fromSequence: from, bytes: total,
            records: count)
    }
}
