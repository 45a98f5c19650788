public import Foundation
import GRDB
public import KioskCore

/// The central service's database (GRDB, SQLite in WAL mode): epochs and their keys, one status row per
/// (epoch, subject key), deletion tombstones, the sequence log, the payload index and the visits.
///
/// **Privacy.** Only subject keys are stored. People files are parsed in memory (`PeopleFile.parse`), every identity
/// is hashed with the epoch key, and the raw ID numbers, PANs and names are dropped before anything is written.
///
/// **Sequences.** Every import that changes anything (a new, changed or removed subject, or a new epoch) creates the
/// next sequence; its rows carry `changedInSequence`, removed subjects leave a tombstone with `deletedInSequence`, so
/// the delta from any sequence N of the current epoch is "rows changed after N" + "tombstones after N". An import
/// that changes nothing only moves the as-of time (the manifest's `createdAt`), which keeps kiosks' snapshots fresh.
///
/// **Epoch rotation.** Because raw numbers are not stored, the centre cannot re-hash its subjects with a new key:
/// ``rotateEpoch(now:)`` only creates the next epoch's key, *pending*. The next ``importPeople(data:now:timeZone:)``
/// hashes the file with the pending key, activates the epoch, drops the old epoch's rows and creates a sequence
/// whose manifest offers only a FULL payload in the new epoch (no delta crosses epochs). Until that import the old
/// epoch keeps serving, so a rotation never publishes an empty snapshot.
public struct CentralStore: Sendable {
    let pool: DatabasePool
    /// Tombstones and deltas are kept this long (seconds).
    public let deltaRetentionSeconds: Int

    /// Opens (creating if needed) the database and runs the migrations.
    public init(path: String, deltaRetentionSeconds: Int = 7 * 24 * 3600) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        pool = try DatabasePool(path: path, configuration: configuration)
        self.deltaRetentionSeconds = deltaRetentionSeconds
        try Self.migrator.migrate(pool)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE epoch (
                        number INTEGER PRIMARY KEY CHECK (number >= 1),
                        key BLOB NOT NULL CHECK (length(key) = 32),
                        createdAt INTEGER NOT NULL,
                        activatedInSequence INTEGER
                    );
                    CREATE TABLE central (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        currentEpoch INTEGER NOT NULL REFERENCES epoch(number),
                        sequence INTEGER NOT NULL CHECK (sequence >= 1),
                        asOf INTEGER NOT NULL,
                        deltaFloor INTEGER NOT NULL DEFAULT 0
                    );
                    CREATE TABLE sequence (
                        number INTEGER PRIMARY KEY,
                        epoch INTEGER NOT NULL REFERENCES epoch(number),
                        createdAt INTEGER NOT NULL,
                        records INTEGER NOT NULL
                    );
                    CREATE TABLE status (
                        epoch INTEGER NOT NULL,
                        subjectKey BLOB NOT NULL CHECK (length(subjectKey) = 16),
                        packed BLOB NOT NULL CHECK (length(packed) = 16),
                        popupZh TEXT,
                        popupEn TEXT,
                        changedInSequence INTEGER NOT NULL,
                        PRIMARY KEY (epoch, subjectKey)
                    ) WITHOUT ROWID;
                    CREATE INDEX status_by_change ON status (epoch, changedInSequence);
                    CREATE TABLE tombstone (
                        epoch INTEGER NOT NULL,
                        subjectKey BLOB NOT NULL CHECK (length(subjectKey) = 16),
                        deletedInSequence INTEGER NOT NULL,
                        PRIMARY KEY (epoch, subjectKey)
                    ) WITHOUT ROWID;
                    CREATE INDEX tombstone_by_change ON tombstone (epoch, deletedInSequence);
                    CREATE TABLE payload (
                        sha256 TEXT PRIMARY KEY CHECK (length(sha256) = 64),
                        kind TEXT NOT NULL CHECK (kind IN ('full', 'delta')),
                        epoch INTEGER NOT NULL,
                        sequence INTEGER NOT NULL,
                        fromSequence INTEGER NOT NULL,
                        bytes INTEGER NOT NULL,
                        records INTEGER NOT NULL,
                        UNIQUE (kind, epoch, sequence, fromSequence)
                    );
                    CREATE TABLE visit (
                        id TEXT PRIMARY KEY CHECK (length(id) = 36),
                        at INTEGER NOT NULL,
                        subjectKey BLOB CHECK (subjectKey IS NULL OR length(subjectKey) = 16),
                        epoch INTEGER,
                        result TEXT NOT NULL,
                        provenance TEXT NOT NULL,
                        kioskID TEXT NOT NULL,
                        venueID TEXT NOT NULL,
                        receivedAt INTEGER NOT NULL
                    );
                    """)
        }
        return migrator
    }

    // MARK: State

    /// What the centre currently publishes.
    public struct State: Sendable, Hashable {
        public var epochKey: EpochKey
        public var sequence: Int
        /// When ``sequence`` was created (the payload headers' `createdAt`).
        public var sequenceCreatedAt: Date
        /// The last import, changed or not (the manifest's `createdAt`).
        public var asOf: Date
        /// Subjects in the current epoch.
        public var records: Int
        /// Deltas are complete only from this sequence on (tombstones before it were purged).
        public var deltaFloor: Int
        public var epoch: Int { epochKey.epoch }
    }

    /// The published state, or `nil` before the first import.
    public func state() throws -> State? {
        try pool.read { db in try Self.state(db) }
    }

    static func state(_ db: Database) throws -> State? {
        guard
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT c.currentEpoch, e.key, c.sequence, s.createdAt, c.asOf, s.records, c.deltaFloor
                    FROM central c JOIN epoch e ON e.number = c.currentEpoch JOIN sequence s ON s.number = c.sequence
                    WHERE c.id = 1
                    """)
        else { return nil }
        let key: Data = row[1]
        return State(
            epochKey: EpochKey(epoch: row[0], bytes: Array(key)), sequence: row[2],
            sequenceCreatedAt: Date(timeIntervalSince1970: TimeInterval(row[3] as Int64)),
            asOf: Date(timeIntervalSince1970: TimeInterval(row[4] as Int64)), records: row[5], deltaFloor: row[6])
    }

    /// The epoch and creation time of a sequence, if the centre made it.
    func sequenceInfo(_ number: Int) throws -> (epoch: Int, createdAt: Date)? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT epoch, createdAt FROM sequence WHERE number = ?", arguments: [number])
                .map { ($0[0], Date(timeIntervalSince1970: TimeInterval($0[1] as Int64))) }
        }
    }

    // MARK: Lookup

    /// The records of `keys` in `epoch`, in order; `nil` for an unknown key. Throws nothing special for a
    /// non-current epoch: the caller checks the epoch against ``state()`` first.
    public func records(for keys: [SubjectKey], epoch: Int) throws -> [StatusRecord?] {
        try pool.read { db in
            try keys.map { key in
                guard
                    let row = try Row.fetchOne(
                        db, sql: "SELECT packed, popupZh, popupEn FROM status WHERE epoch = ? AND subjectKey = ?",
                        arguments: [epoch, Data(key.bytes)])
                else { return nil }
                return try Self.record(packed: row[0], zh: row[1], en: row[2])
            }
        }
    }

    static func record(packed: Data, zh: String?, en: String?) throws -> StatusRecord {
        let text = zh.flatMap { zh in en.map { Guidance(zh: zh, en: $0) } }
        return try PackedStatus(bytes: Array(packed))!.record(customPopupText: text)
    }
}
