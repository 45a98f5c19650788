import Foundation
import GRDB
public import KioskCore

/// The local status snapshot: subject key → ``StatusRecord``, plus the metadata of the snapshot installed
/// (DESIGN.md §1 step 4, §5). Shaped like GRDB's `AppDatabase`: a `Sendable` value owning a WAL `DatabasePool`,
/// migrations run in `init`, intent-named methods, and constraints in the schema.
///
/// Sized for a city (22 M subjects, several keys each): statuses live in a `WITHOUT ROWID` table keyed by the
/// 16-byte subject key, with small-integer columns; popup text is stored only when the centre sent text other than
/// the standard text for the code. Raw ID numbers, PANs and names never reach this database: callers hand in
/// ``SubjectKey``s only.
///
/// Readers never see a half-installed snapshot: ``replaceAll(records:metadata:)`` runs in one write transaction
/// and WAL readers keep reading the previous state until it commits.
///
/// Durability: `synchronous = NORMAL` in WAL mode. A power cut may lose the last committed install, never corrupt
/// the file; the previous snapshot stays usable and the next sync installs the new one again.
public struct SnapshotStore: Sendable {
    private let dbPool: DatabasePool

    /// The database file.
    public var path: String { dbPool.path }

    /// Opens (creating if needed) the snapshot database at `path` and migrates it.
    /// - Throws: an SQLite error if the file cannot be opened, is not a database, or a migration fails.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.label = "SnapshotStore"
        // Another process (kioskctl import) may hold the write lock briefly.
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        dbPool = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(dbPool)
    }

    // MARK: - Reading

    /// The metadata of the installed snapshot, or `nil` when none has been installed.
    public func metadata() throws -> SnapshotMetadata? {
        try dbPool.read { db in try Self.fetchMetadata(db) }
    }

    /// The record of the first key, in the given order, that the snapshot knows.
    ///
    /// Pass the keys strongest first (DESIGN.md §4); the centre answers for the first it knows, and so do we.
    public func status(for keys: [SubjectKey]) throws -> (SubjectKey, StatusRecord)? {
        try dbPool.read { db in try Self.fetchFirstMatch(db, keys: keys) }
            .map { ($0.subjectKey, $0.record) }
    }

    /// Derives the subject keys of `identities` with the installed snapshot's epoch key and looks them up, in the
    /// given order, all in one read transaction (so a concurrent install cannot pair one snapshot's key with
    /// another's records).
    ///
    /// - Returns: `nil` when no snapshot is installed; otherwise the metadata and the first match, if any.
    public func lookup(_ identities: [Identity]) throws -> SnapshotLookup? {
        try dbPool.read { db in
            guard let metadata = try Self.fetchMetadata(db) else { return nil }
            let keys = identities.map { SubjectKey(identity: $0, epochKey: metadata.epochKey) }
            return SnapshotLookup(metadata: metadata, match: try Self.fetchFirstMatch(db, keys: keys))
        }
    }

    // MARK: - Writing

    /// Replaces the whole snapshot (every record and the metadata) in one transaction.
    ///
    /// Readers see the old snapshot or the new one, never a mix. If any entry is rejected (for example the same
    /// subject key twice) nothing changes and the error is thrown.
    ///
    /// - Parameters:
    ///   - records: every entry of the new snapshot, one per subject key.
    ///   - metadata: the new snapshot's metadata; its `recordCount` is replaced by the number of entries written.
    /// - Returns: the metadata as stored.
    @discardableResult
    public func replaceAll(records: some Sequence<SnapshotEntry>, metadata: SnapshotMetadata) throws
        -> SnapshotMetadata
    {
        try dbPool.write { db in
            try db.execute(sql: "DELETE FROM subject_status")
            let insert = try db.makeStatement(sql: StatusRow.insertSQL)
            var count = 0
            for entry in records {
                try insert.execute(arguments: StatusRow.arguments(for: entry))
                count += 1
            }
            var stored = metadata
            stored.recordCount = count
            try Self.writeMetadata(db, stored)
            return stored
        }
    }

    /// Applies a delta in one transaction: upserts, deletions and the new metadata, or nothing.
    ///
    /// Readers see the old snapshot or the new one, never a mix (WAL: they keep reading the last commit).
    ///
    /// - Parameter delta: a delta already checked by the caller (signature, hash, format).
    /// - Returns: the metadata as stored (its `recordCount` counted in the transaction).
    /// - Throws: ``SnapshotStoreError`` `noSnapshot` when nothing is installed, `wrongBase` when the installed
    ///   sequence is not `delta.fromSequence` or the epoch differs; SQLite errors as they are. Nothing changes.
    @discardableResult
    public func apply(_ delta: SnapshotDelta) throws -> SnapshotMetadata {
        try dbPool.write { db in
            guard let installed = try Self.fetchMetadata(db) else { throw SnapshotStoreError.noSnapshot }
            guard installed.sequence == delta.fromSequence, installed.epochKey == delta.metadata.epochKey else {
                throw SnapshotStoreError.wrongBase(installed: installed.sequence, deltaFrom: delta.fromSequence)
            }
            let delete = try db.makeStatement(sql: "DELETE FROM subject_status WHERE subject_key = ?")
            for key in delta.deletions { try delete.execute(arguments: [Data(key.bytes)]) }
            let upsert = try db.makeStatement(sql: StatusRow.insertSQL.replacingOccurrences(
                of: "INSERT INTO", with: "INSERT OR REPLACE INTO"))
            for entry in delta.upserts { try upsert.execute(arguments: StatusRow.arguments(for: entry)) }
            var stored = delta.metadata
            stored.recordCount = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM subject_status") ?? 0
            try Self.writeMetadata(db, stored)
            return stored
        }
    }

    private static func writeMetadata(_ db: Database, _ stored: SnapshotMetadata) throws {
        try db.execute(
            sql: """
                INSERT OR REPLACE INTO snapshot_meta
                    (id, epoch, epoch_key, sequence, created_at, record_count, source, max_age_seconds)
                VALUES (1, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                stored.epoch, Data(stored.epochKey.bytes), stored.sequence,
                StatusRow.seconds(stored.createdAt), stored.recordCount, stored.source, stored.maxAgeSeconds,
            ])
    }

    // MARK: - Schema

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        // Migrations are append-only: never edit one that has shipped; add a new one.
        migrator.registerMigration("v1-snapshot") { db in
            try db.execute(
                sql: """
                    CREATE TABLE snapshot_meta (
                        id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
                        epoch INTEGER NOT NULL,
                        epoch_key BLOB NOT NULL CHECK (length(epoch_key) = 32),
                        sequence INTEGER NOT NULL CHECK (sequence >= 0),
                        created_at INTEGER NOT NULL,
                        record_count INTEGER NOT NULL CHECK (record_count >= 0),
                        source TEXT NOT NULL
                    );
                    CREATE TABLE subject_status (
                        subject_key BLOB PRIMARY KEY NOT NULL CHECK (length(subject_key) = 16),
                        status INTEGER NOT NULL CHECK (status IN (0, 1, 2)),
                        popup_code INTEGER CHECK (popup_code > 0),
                        popup_zh TEXT,
                        popup_en TEXT,
                        nat_sampled_at INTEGER,
                        nat_result INTEGER CHECK (nat_result IN (0, 1, 2)),
                        vaccine_doses INTEGER CHECK (vaccine_doses BETWEEN 0 AND 20),
                        vaccine_last_dose INTEGER CHECK (vaccine_last_dose BETWEEN 19000101 AND 99991231),
                        commuter_until INTEGER CHECK (commuter_until BETWEEN 19000101 AND 99991231),
                        updated_at INTEGER NOT NULL,
                        CHECK ((nat_sampled_at IS NULL) = (nat_result IS NULL)),
                        CHECK ((popup_zh IS NULL) = (popup_en IS NULL)),
                        CHECK (popup_code IS NOT NULL OR popup_zh IS NULL),
                        CHECK (vaccine_doses IS NOT NULL OR vaccine_last_dose IS NULL)
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v2-snapshot-max-age") { db in
            // The manifest's per-list validity (maxAgeSeconds); NULL for imported files.
            try db.execute(
                sql: "ALTER TABLE snapshot_meta ADD COLUMN max_age_seconds INTEGER CHECK (max_age_seconds > 0)")
        }
        return migrator
    }

    // MARK: - Row access

    private static func fetchMetadata(_ db: Database) throws -> SnapshotMetadata? {
        guard
            let row = try Row.fetchOne(
                db,
                sql: "SELECT epoch, epoch_key, sequence, created_at, record_count, source, max_age_seconds FROM snapshot_meta"
            )
        else { return nil }
        let keyBytes: Data = row[1]
        return SnapshotMetadata(
            epochKey: EpochKey(epoch: row[0], bytes: Array(keyBytes)),
            sequence: row[2],
            createdAt: Date(timeIntervalSince1970: TimeInterval(row[3] as Int64)),
            recordCount: row[4],
            source: row[5],
            maxAgeSeconds: row[6])
    }

    private static func fetchFirstMatch(_ db: Database, keys: [SubjectKey]) throws -> SnapshotEntry? {
        guard !keys.isEmpty else { return nil }
        let statement = try db.cachedStatement(sql: StatusRow.selectSQL)
        for key in keys {
            if let row = try Row.fetchOne(statement, arguments: [Data(key.bytes)]) {
                return SnapshotEntry(subjectKey: key, record: try StatusRow.record(from: row))
            }
        }
        return nil
    }
}

/// A change set from one snapshot sequence to the next (DESIGN.md §5), checked by the caller before it is applied.
public struct SnapshotDelta: Sendable {
    /// The sequence the delta applies to; must be the installed one.
    public var fromSequence: Int
    /// The snapshot after the delta (sequence, createdAt, epoch key — unchanged —, maxAge, source).
    public var metadata: SnapshotMetadata
    /// Entries added or changed.
    public var upserts: [SnapshotEntry]
    /// Keys removed.
    public var deletions: [SubjectKey]

    public init(fromSequence: Int, metadata: SnapshotMetadata, upserts: [SnapshotEntry], deletions: [SubjectKey]) {
        self.fromSequence = fromSequence
        self.metadata = metadata
        self.upserts = upserts
        self.deletions = deletions
    }
}

/// Why ``SnapshotStore/apply(_:)`` refused a delta.
public enum SnapshotStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No snapshot is installed: a delta needs a base.
    case noSnapshot
    /// The installed snapshot is not the delta's base (or the epoch changed): fetch a full snapshot.
    case wrongBase(installed: Int, deltaFrom: Int)

    public var description: String {
        switch self {
        case .noSnapshot: "no snapshot installed to apply a delta to"
        case .wrongBase(let installed, let from):
            "the delta applies to sequence \(from) (same epoch), but \(installed) is installed"
        }
    }
}
