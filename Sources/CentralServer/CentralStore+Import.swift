public import Foundation
import GRDB
public import KioskCore

extension CentralStore {
    /// What an import did.
    public struct ImportSummary: Sendable, Hashable {
        /// People in the file (rows with `"inSnapshot": false` excluded).
        public var people: Int
        /// Subject keys in the epoch after the import (one per identity).
        public var subjects: Int
        /// Keys added or changed, and keys removed, by this import.
        public var upserts: Int
        public var deletes: Int
        /// The published epoch and sequence after the import.
        public var epoch: Int
        public var sequence: Int
        /// Whether a new sequence was created.
        public var changed: Bool
    }

    /// Imports a people file (the JSON format of `PeopleFile` in KioskCore; `SnapshotImporter` in Resolution
    /// documents it). The file's own `epoch`, `epochKey` and `sequence` fields are ignored: the centre owns its epochs
    /// and sequences. Every identity is hashed with the current (or pending, see ``rotateEpoch(now:)``) epoch key;
    /// subjects absent from the file are removed. Creates epoch 1 on first use.
    ///
    /// - Parameters:
    ///   - now: the import time, and the time relative fields of the file count from.
    ///   - timeZone: the calendar of `commuterDaysFromNow`.
    /// - Throws: `PeopleFileError` (nothing stored) or a database error.
    @discardableResult
    public func importPeople(data: Data, now: Date, timeZone: TimeZone = .current) throws -> ImportSummary {
        let parsed = try PeopleFile.parse(data, now: now, timeZone: timeZone)
        let nowSeconds = Int64(now.timeIntervalSince1970.rounded(.down))
        return try pool.write { db in
            let current = try Self.state(db)
            if try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM epoch") == 0 {
                try Self.insertEpoch(1, createdAt: nowSeconds, db: db)
            }
            // The target epoch: a pending one if rotateEpoch() made it, else the current one (epoch 1 at first).
            let targetRow = try Row.fetchOne(
                db,
                sql: """
                    SELECT number, key FROM epoch
                    WHERE activatedInSequence IS NULL OR number = ?
                    ORDER BY (activatedInSequence IS NULL) DESC, number DESC LIMIT 1
                    """, arguments: [current?.epoch ?? 0])!
            let targetKey = EpochKey(epoch: targetRow[0], bytes: Array(targetRow[1] as Data))
            let newEpoch = current == nil || targetKey.epoch != current!.epoch

            var incoming: [Row3] = []
            for person in parsed.people {
                let packed = Data(try PackedStatus(person.record).bytes)
                let text = PackedStatus.customPopupText(of: person.record)
                for identity in person.identities {
                    incoming.append(
                        Row3(
                            key: Data(SubjectKey(identity: identity, epochKey: targetKey).bytes), packed: packed,
                            zh: text?.zh, en: text?.en))
                }
            }
            incoming.sort { $0.key.lexicographicallyPrecedes($1.key) }

            var upserts: [Row3] = []
            var deletes: [Data] = []
            if newEpoch {
                upserts = incoming
            } else {
                let cursor = try Row.fetchCursor(
                    db, sql: "SELECT subjectKey, packed, popupZh, popupEn FROM status WHERE epoch = ? ORDER BY subjectKey",
                    arguments: [targetKey.epoch])
                var index = 0
                while let row = try cursor.next() {
                    let existing = Row3(key: row[0], packed: row[1], zh: row[2], en: row[3])
                    while index < incoming.count, incoming[index].key.lexicographicallyPrecedes(existing.key) {
                        upserts.append(incoming[index])
                        index += 1
                    }
                    if index < incoming.count, incoming[index].key == existing.key {
                        if incoming[index] != existing { upserts.append(incoming[index]) }
                        index += 1
                    } else {
                        deletes.append(existing.key)
                    }
                }
                upserts.append(contentsOf: incoming[index...])
            }

            guard newEpoch || !upserts.isEmpty || !deletes.isEmpty else {
                try db.execute(sql: "UPDATE central SET asOf = ? WHERE id = 1", arguments: [nowSeconds])
                try purgeTombstones(db, now: nowSeconds)
                return ImportSummary(
                    people: parsed.people.count, subjects: incoming.count, upserts: 0, deletes: 0,
                    epoch: targetKey.epoch, sequence: current!.sequence, changed: false)
            }

            let sequence = (current?.sequence ?? 0) + 1
            if newEpoch {
                try db.execute(sql: "DELETE FROM status WHERE epoch != ?", arguments: [targetKey.epoch])
                try db.execute(sql: "DELETE FROM tombstone WHERE epoch != ?", arguments: [targetKey.epoch])
                try db.execute(
                    sql: "UPDATE epoch SET activatedInSequence = ? WHERE number = ?",
                    arguments: [sequence, targetKey.epoch])
            }
            let upsert = try db.makeStatement(
                sql: """
                    INSERT OR REPLACE INTO status (epoch, subjectKey, packed, popupZh, popupEn, changedInSequence)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """)
            let unTombstone = try db.makeStatement(sql: "DELETE FROM tombstone WHERE epoch = ? AND subjectKey = ?")
            for row in upserts {
                try upsert.execute(arguments: [targetKey.epoch, row.key, row.packed, row.zh, row.en, sequence])
                if !newEpoch { try unTombstone.execute(arguments: [targetKey.epoch, row.key]) }
            }
            let remove = try db.makeStatement(sql: "DELETE FROM status WHERE epoch = ? AND subjectKey = ?")
            let tombstone = try db.makeStatement(
                sql: "INSERT OR REPLACE INTO tombstone (epoch, subjectKey, deletedInSequence) VALUES (?, ?, ?)")
            for key in deletes {
                try remove.execute(arguments: [targetKey.epoch, key])
                try tombstone.execute(arguments: [targetKey.epoch, key, sequence])
            }
            try db.execute(
                sql: "INSERT INTO sequence (number, epoch, createdAt, records) VALUES (?, ?, ?, ?)",
                arguments: [sequence, targetKey.epoch, nowSeconds, incoming.count])
            try db.execute(
                sql: """
                    INSERT INTO central (id, currentEpoch, sequence, asOf) VALUES (1, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET currentEpoch = excluded.currentEpoch, sequence = excluded.sequence,
                        asOf = excluded.asOf
                    """, arguments: [targetKey.epoch, sequence, nowSeconds])
            try purgeTombstones(db, now: nowSeconds)
            return ImportSummary(
                people: parsed.people.count, subjects: incoming.count, upserts: upserts.count, deletes: deletes.count,
                epoch: targetKey.epoch, sequence: sequence, changed: true)
        }
    }

    /// Creates the next epoch's key, pending until the next import (see the type's documentation). Calling it again
    /// before that import replaces the pending key. Returns the pending epoch's number.
    @discardableResult
    public func rotateEpoch(now: Date) throws -> Int {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM epoch WHERE activatedInSequence IS NULL")
            let highest = try Int.fetchOne(db, sql: "SELECT MAX(number) FROM epoch") ?? 0
            let number = highest + 1
            try Self.insertEpoch(number, createdAt: Int64(now.timeIntervalSince1970.rounded(.down)), db: db)
            return number
        }
    }

    /// The pending epoch's number, if ``rotateEpoch(now:)`` made one that no import has activated yet.
    public func pendingEpoch() throws -> Int? {
        try pool.read { db in
            try Int.fetchOne(db, sql: "SELECT number FROM epoch WHERE activatedInSequence IS NULL")
        }
    }

    private static func insertEpoch(_ number: Int, createdAt: Int64, db: Database) throws {
        try db.execute(
            sql: "INSERT INTO epoch (number, key, createdAt) VALUES (?, ?, ?)",
            arguments: [number, Data(EpochKey.random(epoch: number).bytes), createdAt])
    }

    /// Drops tombstones of sequences older than the retention and raises the delta floor past them.
    private func purgeTombstones(_ db: Database, now: Int64) throws {
        guard
            let newest = try Int.fetchOne(
                db, sql: "SELECT MAX(number) FROM sequence WHERE createdAt < ?",
                arguments: [now - Int64(deltaRetentionSeconds)])
        else { return }
        try db.execute(sql: "DELETE FROM tombstone WHERE deletedInSequence <= ?", arguments: [newest])
        try db.execute(sql: "UPDATE central SET deltaFloor = max(deltaFloor, ?) WHERE id = 1", arguments: [newest])
    }
}

/// A status row as stored: key, packed record, custom popup text.
struct Row3: Equatable {
    var key: Data
    var packed: Data
    var zh: String?
    var en: String?
}
