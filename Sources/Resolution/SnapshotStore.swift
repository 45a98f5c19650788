public import Foundation
import GRDB
public import KioskCore
import Synchronization

/// The local status snapshot: subject key → ``StatusRecord``, plus the metadata of the snapshot installed
/// (DESIGN.md §1 step 4, §5). Shaped like GRDB's `AppDatabase`: a `Sendable` value owning a WAL `DatabasePool`,
/// migrations run in `init`, intent-named methods, and constraints in the schema.
///
/// ## Sized for a city
/// Beijing has about 22 M people, each with one or more subject keys. One row per key, stored by the first 12 bytes
/// of its 16-byte ``SubjectKey`` (96 bits keep keys apart: among 22 M keys the chance that two share a prefix is
/// about 3 × 10⁻¹⁵ — the install then fails with a duplicate-key error instead of mixing two people — and the chance
/// that an unknown card's key matches a stored prefix is about 3 × 10⁻²² per lookup):
/// - `snapshot_row(id INTEGER PRIMARY KEY, rec BLOB(20))`: `id` is key bytes 0–7 as a big-endian integer with the
///   top bit flipped (so integer order is byte order and a payload's ascending keys are ascending row ids, which
///   SQLite appends to full pages); `rec` is key bytes 8–11 then the record as ``PackedStatus`` (the payload's own
///   16 bytes, so installing copies bytes).
/// - `snapshot_row_overflow(key BLOB(12), rec BLOB(16))`: the rare key whose first 8 bytes equal another key's
///   (about 1 in 76,000 full snapshots of 22 M keys has one pair); lookups that miss `snapshot_row` look here.
/// - `snapshot_popup_text`: a pop-up whose guidance differs from the standard text of its code (rare).
///
/// Measured (`make bench`, `Benchmarks/`): about 35.5 bytes per key on disk, where a `WITHOUT ROWID` table of
/// (12-byte key, 16-byte record) took 39 (index b-tree pages end about 87 % full even when appended in order).
///
/// ## Old or new, never a mix
/// ``install(_:metadata:changes:)`` writes a whole snapshot or a whole delta in one write transaction; WAL readers
/// keep reading the previous commit until it commits, and any error (a malformed payload entry, a disk error)
/// rolls everything back. Raw ID numbers, PANs and names never reach this database: callers hand in keys only.
///
/// Durability: `synchronous = NORMAL` in WAL mode. A power cut may lose the last committed install, never corrupt
/// the file; the previous snapshot stays usable and the next sync installs the new one again.
public struct SnapshotStore: Sendable {
    /// Bytes of the subject key stored per row (see the type's documentation for why 12 are enough).
    public static let storedKeyBytes = 12

    /// The open database; replaced by ``setAside()`` (every copy of this store follows).
    private let pool: PoolHolder
    private var dbPool: DatabasePool { pool.current.withLock { $0 } }
    /// Page cache of the connection that installs a snapshot, in KiB, while it installs (128 MiB).
    static let installCacheKiB = 131_072
    /// SQLite's page cache per connection outside an install (KiB). A tap reads a few pages of a b-tree whose
    /// inner pages stay cached; the OS page cache holds the rest. SQLite's default (2,000 KiB per connection, for
    /// the writer and every reader) let `kioskd`'s memory creep by megabytes over a day of random lookups
    /// (`make soak`).
    static let connectionCacheKiB = 512
    /// Readers open at most at once: the tap path reads one lookup at a time; `quick_check` and `kioskd doctor`
    /// may hold one more.
    static let maximumReaders = 3

    /// The database file.
    public var path: String { dbPool.path }

    /// Opens (creating if needed) the snapshot database at `path` and migrates it.
    /// - Throws: an SQLite error if the file cannot be opened, is not a database, or a migration fails.
    public init(path: String) throws {
        pool = PoolHolder(try Self.openPool(path: path))
    }

    private static func openPool(path: String) throws -> DatabasePool {
        var configuration = Configuration()
        configuration.label = "SnapshotStore"
        // Another process (kioskctl import) may hold the write lock briefly.
        configuration.busyMode = .timeout(5)
        configuration.maximumReaderCount = maximumReaders
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA cache_size = -\(connectionCacheKiB)")
            // A delta touches pages all over the table: let the WAL shrink back after each install.
            try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
        }
        let dbPool = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(dbPool)
        return dbPool
    }

    // MARK: - Damage

    /// Runs SQLite's `PRAGMA quick_check` over the whole file (every b-tree page; minutes for a city-sized snapshot on
    /// slow flash, so callers run it on a thread of its own).
    /// - Returns: the problems SQLite lists, empty when the file is sound. A read that fails with damage is a
    ///   problem too.
    /// - Throws: other SQLite errors (a lock held too long, an I/O error).
    public func quickCheck() throws -> [String] {
        do {
            let lines = try dbPool.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check") }
            return lines == ["ok"] ? [] : lines
        } catch where DamagedDatabase.isDamage(error) {
            return ["\(error)"]
        }
    }

    /// Moves the damaged file aside (``DamagedDatabase/setAside(path:now:)``, kept for the technician) and carries on
    /// with a new, empty snapshot at the same path: offline taps say "cannot verify" until the next sync installs a
    /// full snapshot. Every copy of this store (the resolver's, the sync's) uses the new file from now on.
    /// - Returns: where the damaged file now is.
    @discardableResult
    public func setAside() throws -> String {
        try pool.current.withLock { current in
            // Closed before the rename: SQLite deletes a closed database's WAL by name, which would then be the new
            // file's. Waits for reads in progress; later ones on the old pool fail ("cannot verify").
            try current.close()
            let moved = try DamagedDatabase.setAside(path: current.path)
            current = try Self.openPool(path: current.path)
            return moved
        }
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

    /// Bytes the database occupies on disk (page count × page size, excluding the WAL), for benchmarks and
    /// `kioskctl doctor`.
    public func fileBytes() throws -> Int {
        try dbPool.read { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            let size = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 0
            return pages * size
        }
    }

    // MARK: - Writing

    /// What an install replaces.
    public enum InstallKind: Sendable, Hashable {
        /// A whole snapshot: every row is replaced.
        case full
        /// A delta that applies to the installed snapshot at `fromSequence` (same epoch).
        case delta(fromSequence: Int)
    }

    /// Installs a full snapshot or a delta in one write transaction: `changes` is called once, inside the
    /// transaction, and feeds entries to the ``SnapshotWriter`` it is given (typically straight from a
    /// ``SnapshotPayloadReader`` over a file, so a city-sized payload is never in memory).
    ///
    /// Readers see the old snapshot or the new one, never a mix. If `changes` throws, or any entry is rejected
    /// (the same key twice in a full install, a delete in a full install), nothing changes and the error is
    /// rethrown.
    ///
    /// - Parameters:
    ///   - kind: `.full` replaces every row; `.delta(fromSequence:)` applies upserts and deletions.
    ///   - metadata: the new snapshot's metadata; its `recordCount` is replaced by the rows counted in the
    ///     transaction. A delta keeps the installed epoch key (its `epochKey` must equal the installed one).
    /// - Returns: the metadata as stored.
    /// - Throws: ``SnapshotStoreError`` `noSnapshot` or `wrongBase` for a delta that does not apply; whatever
    ///   `changes` throws; SQLite errors as they are. Nothing changes in any case.
    @discardableResult
    public func install(
        _ kind: InstallKind, metadata: SnapshotMetadata, changes: (inout SnapshotWriter) throws -> Void
    ) throws -> SnapshotMetadata {
        try dbPool.write { db in
            // A big install rewrites interior pages over and over: with SQLite's default 2 MiB page cache they spill
            // to the WAL again and again (5 M rows took minutes). A larger cache for the install only.
            try db.execute(sql: "PRAGMA cache_size = -\(Self.installCacheKiB)")
            defer { try? db.execute(sql: "PRAGMA cache_size = -\(Self.connectionCacheKiB)") }
            switch kind {
            case .full:
                try db.execute(
                    sql: "DELETE FROM snapshot_row; DELETE FROM snapshot_row_overflow; DELETE FROM snapshot_popup_text")
            case .delta(let fromSequence):
                guard let installed = try Self.fetchMetadata(db) else { throw SnapshotStoreError.noSnapshot }
                guard installed.sequence == fromSequence, installed.epochKey == metadata.epochKey else {
                    throw SnapshotStoreError.wrongBase(installed: installed.sequence, deltaFrom: fromSequence)
                }
            }
            var writer = try SnapshotWriter(db: db, isFull: kind == .full)
            try changes(&writer)
            var stored = metadata
            stored.recordCount =
                kind == .full
                ? writer.inserted
                : try Int.fetchOne(
                    db,
                    sql: "SELECT (SELECT COUNT(*) FROM snapshot_row) + (SELECT COUNT(*) FROM snapshot_row_overflow)")
                    ?? 0
            try Self.writeMetadata(db, stored)
            return stored
        }
    }

    /// Replaces the whole snapshot (every record and the metadata) in one transaction; see
    /// ``install(_:metadata:changes:)``.
    ///
    /// - Throws: ``SnapshotFormatError`` `.unrepresentable` for a record the packed format cannot hold, a
    ///   `.duplicateKey` error for the same key twice; nothing changes.
    @discardableResult
    public func replaceAll(records: some Sequence<SnapshotEntry>, metadata: SnapshotMetadata) throws
        -> SnapshotMetadata
    {
        try install(.full, metadata: metadata) { writer in
            for entry in records { try writer.upsert(entry) }
        }
    }

    /// Applies a delta held in memory in one transaction; see ``install(_:metadata:changes:)``.
    @discardableResult
    public func apply(_ delta: SnapshotDelta) throws -> SnapshotMetadata {
        try install(.delta(fromSequence: delta.fromSequence), metadata: delta.metadata) { writer in
            for key in delta.deletions { try writer.delete(key) }
            for entry in delta.upserts { try writer.upsert(entry) }
        }
    }

    /// Installs a payload file (format: ``SnapshotPayload``) streamed in 1 MiB chunks into one transaction: a full
    /// payload replaces the snapshot, a delta applies to the installed one (its header's `fromSequence`). The file
    /// is never read whole into memory.
    ///
    /// - Parameters:
    ///   - payloadFile: a payload already checked against its signed manifest (size and SHA-256).
    ///   - metadata: the snapshot after the install (see ``install(_:metadata:changes:)``).
    ///   - checkHeader: called once with the parsed header before any entry is written; throw to refuse.
    /// - Throws: ``SnapshotFormatError`` for malformed bytes (truncated, unsorted, bad record…), whatever
    ///   `checkHeader` throws, ``SnapshotStoreError`` for a delta on the wrong base, I/O and SQLite errors. The
    ///   installed snapshot is unchanged after any error.
    @discardableResult
    public func install(
        payloadFile: URL, metadata: SnapshotMetadata, checkHeader: (SnapshotPayloadHeader) throws -> Void = { _ in }
    ) throws -> SnapshotMetadata {
        let handle = try FileHandle(forReadingFrom: payloadFile)
        defer { try? handle.close() }
        // The header decides full or delta, so read it before opening the transaction (the entries parsed on the
        // way are read again inside it).
        var probe = SnapshotPayloadReader()
        while probe.header == nil, let chunk = try handle.read(upToCount: 4096), !chunk.isEmpty {
            probe.feed(chunk)
            _ = try probe.nextEntry()
        }
        guard let header = probe.header else {
            try probe.finish()  // throws .truncated
            throw SnapshotFormatError(.truncated, "input ended inside the header")
        }
        try checkHeader(header)
        try handle.seek(toOffset: 0)
        let kind: InstallKind = header.kind == .delta ? .delta(fromSequence: header.fromSequence) : .full
        return try install(kind, metadata: metadata) { writer in
            var reader = SnapshotPayloadReader()
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                reader.feed(chunk)
                while let entry = try reader.nextEntry() { try writer.apply(entry) }
            }
            try reader.finish()
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
                Int64(stored.createdAt.timeIntervalSince1970.rounded(.down)), stored.recordCount, stored.source,
                stored.maxAgeSeconds,
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
        migrator.registerMigration("v3-packed-rows") { db in
            // City scale: one integer-keyed row per subject key, about 35.5 bytes instead of ~75 (see the type).
            try db.execute(
                sql: """
                    CREATE TABLE snapshot_row (
                        id INTEGER PRIMARY KEY NOT NULL,
                        rec BLOB NOT NULL CHECK (length(rec) = 20)
                    );
                    CREATE TABLE snapshot_row_overflow (
                        key BLOB PRIMARY KEY NOT NULL CHECK (length(key) = 12),
                        rec BLOB NOT NULL CHECK (length(rec) = 16)
                    ) WITHOUT ROWID;
                    CREATE TABLE snapshot_popup_text (
                        key BLOB PRIMARY KEY NOT NULL CHECK (length(key) = 12),
                        zh TEXT NOT NULL,
                        en TEXT NOT NULL
                    ) WITHOUT ROWID;
                    """)
            var writer = try SnapshotWriter(db: db, isFull: true)
            let rows = try Row.fetchCursor(db, sql: "SELECT subject_key, " + StatusRow.columns + " FROM subject_status")
            while let row = try rows.next() {
                let keyData: Data = row[0]
                guard let key = SubjectKey(bytes: Array(keyData)) else { throw StatusRow.CorruptRow(column: "subject_key") }
                try writer.upsert(SnapshotEntry(subjectKey: key, record: try StatusRow.record(from: row, offset: 1)))
            }
            try db.execute(sql: "DROP TABLE subject_status")
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
        let main = try db.cachedStatement(sql: "SELECT rec FROM snapshot_row WHERE id = ?")
        let overflow = try db.cachedStatement(sql: "SELECT rec FROM snapshot_row_overflow WHERE key = ?")
        for key in keys {
            let stored = SnapshotWriter.StoredKey(key)
            var packedBytes: [UInt8]?
            if let rec = try Data.fetchOne(main, arguments: [stored.rowID]) {
                guard rec.count == 20 else { throw StatusRow.CorruptRow(column: "snapshot_row.rec") }
                if rec.prefix(4).elementsEqual(stored.suffix) { packedBytes = Array(rec.dropFirst(4)) }
            }
            if packedBytes == nil, let rec = try Data.fetchOne(overflow, arguments: [stored.key]) {
                packedBytes = Array(rec)
            }
            guard let packedBytes else { continue }
            guard let packed = PackedStatus(bytes: packedBytes) else {
                throw StatusRow.CorruptRow(column: "snapshot_row_overflow.rec")
            }
            var text: Guidance?
            if packed.bytes[1] != 0,
                let row = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT zh, en FROM snapshot_popup_text WHERE key = ?"),
                    arguments: [stored.key])
            {
                text = Guidance(zh: row[0], en: row[1])
            }
            return SnapshotEntry(subjectKey: key, record: try packed.record(customPopupText: text))
        }
        return nil
    }
}

/// The database pool of a ``SnapshotStore`` and its copies, replaceable after damage.
private final class PoolHolder: Sendable {
    let current: Mutex<DatabasePool>
    init(_ pool: DatabasePool) { current = Mutex(pool) }
}

/// Writes entries into the transaction of ``SnapshotStore/install(_:metadata:changes:)``. Only valid inside the
/// `changes` closure it is handed to.
public struct SnapshotWriter {
    /// A subject key as stored: the row id (key bytes 0–7, top bit flipped), the 4 bytes beside the record, and the
    /// 12-byte prefix that keys the overflow and text tables.
    struct StoredKey {
        let rowID: Int64
        let suffix: [UInt8]
        let key: Data

        init(_ subjectKey: SubjectKey) {
            let bytes = subjectKey.bytes
            var high: UInt64 = 0
            for byte in bytes[0..<8] { high = high << 8 | UInt64(byte) }
            rowID = Int64(bitPattern: high ^ 0x8000_0000_0000_0000)
            suffix = Array(bytes[8..<SnapshotStore.storedKeyBytes])
            key = Data(bytes.prefix(SnapshotStore.storedKeyBytes))
        }
    }

    private let db: Database
    private let insertRow: Statement
    private let upsertRow: Statement
    private let deleteRow: Statement
    private let upsertOverflow: Statement
    private let insertOverflow: Statement
    private let deleteOverflow: Statement
    private let insertText: Statement
    private let deleteText: Statement
    private let isFull: Bool
    /// Whether `snapshot_popup_text` / `snapshot_row_overflow` may hold rows (so a delta must clear a key there).
    private var textTableMayHaveRows: Bool
    private var overflowMayHaveRows: Bool
    /// Rows inserted so far (full installs count rows this way instead of a `COUNT(*)`).
    public private(set) var inserted = 0

    fileprivate init(db: Database, isFull: Bool) throws {
        self.db = db
        self.isFull = isFull
        insertRow = try db.makeStatement(
            sql: "INSERT INTO snapshot_row (id, rec) VALUES (?, ?) ON CONFLICT (id) DO NOTHING")
        // Replaces the row only when it holds the same key (same 4 suffix bytes); else changes nothing.
        upsertRow = try db.makeStatement(
            sql: """
                INSERT INTO snapshot_row (id, rec) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET rec = excluded.rec
                WHERE substr(rec, 1, 4) = substr(excluded.rec, 1, 4)
                """)
        deleteRow = try db.makeStatement(sql: "DELETE FROM snapshot_row WHERE id = ? AND substr(rec, 1, 4) = ?")
        insertOverflow = try db.makeStatement(sql: "INSERT INTO snapshot_row_overflow (key, rec) VALUES (?, ?)")
        upsertOverflow = try db.makeStatement(
            sql: "INSERT INTO snapshot_row_overflow (key, rec) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET rec = excluded.rec")
        deleteOverflow = try db.makeStatement(sql: "DELETE FROM snapshot_row_overflow WHERE key = ?")
        insertText = try db.makeStatement(sql: "INSERT OR REPLACE INTO snapshot_popup_text (key, zh, en) VALUES (?, ?, ?)")
        deleteText = try db.makeStatement(sql: "DELETE FROM snapshot_popup_text WHERE key = ?")
        textTableMayHaveRows = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM snapshot_popup_text)") ?? true
        overflowMayHaveRows = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM snapshot_row_overflow)") ?? true
    }

    /// Adds or replaces one key's record, packed as ``PackedStatus`` with any non-standard pop-up text beside it.
    /// In a full install the same key twice is an SQLite constraint error (the install is rolled back).
    /// - Throws: ``SnapshotFormatError`` `.unrepresentable` when the record does not fit the packed format.
    public mutating func upsert(_ entry: SnapshotEntry) throws {
        try upsert(entry.subjectKey, packed: try PackedStatus(entry.record), customPopupText: PackedStatus.customPopupText(of: entry.record))
    }

    /// Adds or replaces one key's packed record and its non-standard pop-up text (`nil` for the standard text).
    public mutating func upsert(_ key: SubjectKey, packed: PackedStatus, customPopupText: Guidance?) throws {
        let stored = StoredKey(key)
        let rec = Data(stored.suffix + packed.bytes)
        try (isFull ? insertRow : upsertRow).execute(arguments: [stored.rowID, rec])
        if db.changesCount == 0 {
            // Another key holds this row id, or (in a full install) this very key does: a duplicate.
            if isFull,
                try Bool.fetchOne(
                    db, sql: "SELECT substr(rec, 1, 4) = ? FROM snapshot_row WHERE id = ?",
                    arguments: [Data(stored.suffix), stored.rowID]) == true
            {
                throw SnapshotFormatError(.duplicateKey, "the same subject key twice in a full install")
            }
            // The overflow table takes it (the same key twice there is a primary-key error).
            try (isFull ? insertOverflow : upsertOverflow).execute(arguments: [stored.key, Data(packed.bytes)])
            overflowMayHaveRows = true
        } else if !isFull, overflowMayHaveRows {
            // The key may have lived in the overflow table while another key held the row id: never keep two.
            try deleteOverflow.execute(arguments: [stored.key])
        }
        inserted += 1
        if let text = customPopupText {
            try insertText.execute(arguments: [stored.key, text.zh, text.en])
            textTableMayHaveRows = true
        } else if !isFull, textTableMayHaveRows {
            try deleteText.execute(arguments: [stored.key])
        }
    }

    /// Removes one key (absent keys are not an error). Only in a delta.
    public mutating func delete(_ key: SubjectKey) throws {
        guard !isFull else { throw SnapshotFormatError(.badOp, "delete in a full install") }
        let stored = StoredKey(key)
        try deleteRow.execute(arguments: [stored.rowID, Data(stored.suffix)])
        if overflowMayHaveRows { try deleteOverflow.execute(arguments: [stored.key]) }
        if textTableMayHaveRows { try deleteText.execute(arguments: [stored.key]) }
    }

    /// Applies one payload entry (upsert or delete).
    public mutating func apply(_ entry: SnapshotPayloadEntry) throws {
        switch entry.change {
        case .upsert(let record): try upsert(SnapshotEntry(subjectKey: entry.key, record: record))
        case .delete: try delete(entry.key)
        }
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
