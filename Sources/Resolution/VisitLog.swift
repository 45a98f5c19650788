public import Foundation
import GRDB
import KioskCore

/// The local, append-only log of taps, uploaded to the centre in batches (store-and-forward, DESIGN.md §1 step 5).
/// Its own SQLite file, shaped like GRDB's `AppDatabase`.
///
/// **Durability.** WAL with `synchronous = FULL`: every ``append(_:)`` commit fsyncs the WAL before returning, so a
/// visit appended before the result is drawn survives a power cut. With `NORMAL` a WAL commit is only durable at
/// the next checkpoint, and the last taps before a power cut could vanish although their screens were shown. The
/// cost is one fsync per tap (a few ms on eMMC/SSD), well inside the tap budget.
///
/// Stores no raw ID number, PAN or name: only ``Visit`` fields (subject key, result and provenance codes).
public struct VisitLog: Sendable {
    private let dbPool: DatabasePool

    /// Thrown by ``append(_:)`` when a visit with the same id is already in the log.
    public struct DuplicateVisit: Error, Sendable, Hashable, CustomStringConvertible {
        public var id: UUID
        public var description: String { "visit \(id) is already in the visit log" }
    }

    /// The database file.
    public var path: String { dbPool.path }

    /// Opens (creating if needed) the visit log at `path` and migrates it.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.label = "VisitLog"
        configuration.busyMode = .timeout(5)
        // Appends touch the last pages of the table and its indexes; the uploader reads the newest rows. SQLite's
        // default page cache (2,000 KiB for the writer and each reader) filled with every new page of a growing
        // log, so `kioskd`'s memory crept up with the number of visits (`make soak`).
        configuration.maximumReaderCount = 2
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA cache_size = -256")
        }
        dbPool = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(dbPool)
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        // Append-only: never edit a shipped migration; add a new one.
        migrator.registerMigration("v1-visit") { db in
            try db.execute(
                sql: """
                    CREATE TABLE visit (
                        id BLOB NOT NULL UNIQUE CHECK (length(id) = 16),
                        venue TEXT NOT NULL CHECK (length(venue) <= 200),
                        at_ms INTEGER NOT NULL,
                        subject_key BLOB CHECK (subject_key IS NULL OR length(subject_key) = 16),
                        result TEXT NOT NULL CHECK (length(result) BETWEEN 1 AND 64),
                        provenance TEXT NOT NULL CHECK (length(provenance) BETWEEN 1 AND 64),
                        uploaded_at_ms INTEGER
                    );
                    CREATE INDEX visit_pending ON visit (at_ms) WHERE uploaded_at_ms IS NULL;
                    CREATE INDEX visit_at ON visit (at_ms);
                    """)
        }
        migrator.registerMigration("v2-visit-epoch") { db in
            // The key epoch of subject_key, so the centre can tell keys of different epochs apart.
            try db.execute(sql: "ALTER TABLE visit ADD COLUMN epoch INTEGER CHECK (epoch IS NULL OR epoch >= 0)")
        }
        return migrator
    }

    // MARK: - Writing

    /// Appends a visit durably: when this returns, the visit is on disk.
    /// - Throws: ``DuplicateVisit`` if the id is already logged; an SQLite error if the disk fails.
    public func append(_ visit: Visit) throws {
        do {
            try dbPool.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO visit (id, venue, at_ms, subject_key, epoch, result, provenance, uploaded_at_ms)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        Self.blob(visit.id), visit.venue, Self.milliseconds(visit.at),
                        visit.subjectKey.map { Data($0.bytes) }, visit.epoch, visit.result, visit.provenance,
                        visit.uploadedAt.map(Self.milliseconds),
                    ])
            }
        } catch let error as DatabaseError
            where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE
        {
            throw DuplicateVisit(id: visit.id)
        }
    }

    /// Records that the centre acknowledged these visits. Unknown ids are ignored; already uploaded ones keep
    /// their first upload time.
    /// - Returns: how many visits changed from pending to uploaded.
    @discardableResult
    public func markUploaded(ids: some Collection<UUID>, at time: Date = Date()) throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try dbPool.write { db in
            let statement = try db.makeStatement(
                sql: "UPDATE visit SET uploaded_at_ms = ? WHERE id = ? AND uploaded_at_ms IS NULL")
            var changed = 0
            for id in ids {
                try statement.execute(arguments: [Self.milliseconds(time), Self.blob(id)])
                changed += db.changesCount
            }
            return changed
        }
    }

    /// Number of visits not yet uploaded.
    public func pendingCount() throws -> Int {
        try dbPool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM visit WHERE uploaded_at_ms IS NULL") ?? 0
        }
    }

    /// Deletes uploaded visits older than `date` (retention). Pending visits are never deleted.
    /// - Returns: how many were deleted.
    @discardableResult
    public func deleteUploaded(before date: Date) throws -> Int {
        try dbPool.write { db in
            try db.execute(
                sql: "DELETE FROM visit WHERE uploaded_at_ms IS NOT NULL AND at_ms < ?",
                arguments: [Self.milliseconds(date)])
            return db.changesCount
        }
    }

    // MARK: - Reading

    /// Number of visits in the log.
    public func count() throws -> Int {
        try dbPool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM visit") ?? 0 }
    }

    /// The oldest visits not yet uploaded, oldest first.
    public func pending(limit: Int) throws -> [Visit] {
        try dbPool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, venue, at_ms, subject_key, result, provenance, uploaded_at_ms, epoch FROM visit
                    WHERE uploaded_at_ms IS NULL ORDER BY at_ms, rowid LIMIT ?
                    """,
                arguments: [max(0, limit)]
            ).map(Self.visit(from:))
        }
    }

    /// Visits per hour, oldest hour first, optionally only from `since` on.
    public func summaryByHour(since: Date? = nil) throws -> [VisitHourSummary] {
        try dbPool.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT at_ms / 3600000 AS hour, result, COUNT(*) AS n,
                           SUM(uploaded_at_ms IS NULL) AS pending
                    FROM visit WHERE at_ms >= ?
                    GROUP BY hour, result ORDER BY hour, result
                    """,
                arguments: [since.map(Self.milliseconds) ?? Int64.min])
            var summaries: [VisitHourSummary] = []
            for row in rows {
                let hour = Date(timeIntervalSince1970: TimeInterval((row["hour"] as Int64) * 3600))
                let count: Int = row["n"]
                let pending: Int = row["pending"]
                if summaries.last?.hour != hour {
                    summaries.append(VisitHourSummary(hour: hour, total: 0, byResult: [:], pending: 0))
                }
                summaries[summaries.count - 1].total += count
                summaries[summaries.count - 1].pending += pending
                summaries[summaries.count - 1].byResult[row["result"], default: 0] += count
            }
            return summaries
        }
    }

    // MARK: - Encoding

    private static func blob(_ id: UUID) -> Data {
        withUnsafeBytes(of: id.uuid) { Data($0) }
    }

    private static func uuid(_ data: Data) -> UUID? {
        guard data.count == 16 else { return nil }
        let b = Array(data)
        return UUID(
            uuid: (
                b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
                b[14], b[15]
            ))
    }

    private static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    private static func date(milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: TimeInterval(milliseconds) / 1000)
    }

    private static func visit(from row: Row) -> Visit {
        let keyData: Data? = row[3]
        let uploaded: Int64? = row[6]
        return Visit(
            // The schema guarantees 16 bytes (CHECK length(id) = 16).
            id: uuid(row[0])!,
            venue: row[1],
            at: date(milliseconds: row[2]),
            subjectKey: keyData.flatMap { SubjectKey(bytes: Array($0)) },
            epoch: row[7],
            result: row[4],
            provenance: row[5],
            uploadedAt: uploaded.map(date(milliseconds:)))
    }
}
