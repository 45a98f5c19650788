import Foundation
import GRDB
import KioskCore
import Testing

@testable import Resolution

@Suite struct SnapshotStoreTests {
    private func key(_ n: Int) -> SubjectKey {
        SubjectKey(kind: .residentID, normalisedValue: "subject-\(n)", epochKey: Demo.epochKey)
    }

    @Test func emptyStoreHasNoMetadataAndNoStatus() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SnapshotStore(path: dir.path("snapshot.sqlite"))
        #expect(try store.metadata() == nil)
        #expect(try store.status(for: [key(1)]) == nil)
        #expect(try store.lookup([Demo.identity(.residentID, "x")]) == nil)
    }

    @Test func returnsTheFirstKnownKeyInTheGivenOrder() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SnapshotStore(path: dir.path("snapshot.sqlite"))
        try store.replaceAll(
            records: [
                SnapshotEntry(subjectKey: key(1), record: Demo.record(.normal)),
                SnapshotEntry(subjectKey: key(2), record: Demo.record(.centralizedObservation)),
            ],
            metadata: Demo.metadata())
        #expect(try store.status(for: [key(9), key(2), key(1)])?.0 == key(2))
        #expect(try store.status(for: [key(1), key(2)])?.1.status == .normal)
        #expect(try store.status(for: [key(9)]) == nil)
        #expect(try store.status(for: []) == nil)
    }

    @Test func roundTripsEveryColumnAndReopens() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let record = StatusRecord(
            status: .homeObservation,
            popup: Popup(code: 4),
            nucleicAcidTest: NucleicAcidTest(sampledAt: Demo.createdAt.addingTimeInterval(-7200), result: .positive),
            vaccination: Vaccination(doses: 2, lastDose: nil),
            commuter: CommuterMark(validUntil: CalendarDate(year: 2026, month: 12, day: 31)!),
            updatedAt: Demo.createdAt)
        let custom = StatusRecord(
            status: .normal, popup: Popup(code: 1, guidance: Guidance(zh: "特别说明", en: "Special text")),
            updatedAt: Demo.createdAt)
        do {
            let store = try SnapshotStore(path: dir.path("snapshot.sqlite"))
            let stored = try store.replaceAll(
                records: [
                    SnapshotEntry(subjectKey: key(1), record: record),
                    SnapshotEntry(subjectKey: key(2), record: custom),
                ],
                metadata: Demo.metadata(sequence: 5))
            #expect(stored.recordCount == 2)
        }
        let reopened = try SnapshotStore(path: dir.path("snapshot.sqlite"))
        #expect(try reopened.status(for: [key(1)])?.1 == record)
        #expect(try reopened.status(for: [key(2)])?.1 == custom)
        #expect(
            try reopened.metadata()
                == SnapshotMetadata(
                    epochKey: Demo.epochKey, sequence: 5, createdAt: Demo.createdAt, recordCount: 2, source: "test"))
    }

    @Test func duplicateKeysAbortTheWholeReplace() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SnapshotStore(path: dir.path("snapshot.sqlite"))
        try store.replaceAll(
            records: [SnapshotEntry(subjectKey: key(1), record: Demo.record(.normal))], metadata: Demo.metadata())
        #expect(throws: (any Error).self) {
            try store.replaceAll(
                records: [
                    SnapshotEntry(subjectKey: key(2), record: Demo.record(.normal)),
                    SnapshotEntry(subjectKey: key(2), record: Demo.record(.homeObservation)),
                ],
                metadata: Demo.metadata(sequence: 2))
        }
        #expect(try store.metadata()?.sequence == 1)
        #expect(try store.status(for: [key(1)]) != nil)
        #expect(try store.status(for: [key(2)]) == nil)
    }

    @Test func descriptionNeverShowsTheEpochKey() {
        let text = Demo.metadata().description
        #expect(!text.contains("90, 90"))  // 0x5A as decimal bytes
        #expect(!text.lowercased().contains("5a5a"))
    }

    /// Readers during `replaceAll` see the old snapshot or the new one, never a mix and never an empty table.
    @Test func readersDuringReplaceSeeOldOrNewNeverAMix() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SnapshotStore(path: dir.path("snapshot.sqlite"))
        let people = 3000
        let identities = (0..<people).map { Demo.identity(.residentID, "subject-\($0)") }

        /// Version v: every record's updatedAt equals the snapshot's createdAt, status alternates with v.
        @Sendable func install(_ version: Int) throws {
            let createdAt = Demo.createdAt.addingTimeInterval(TimeInterval(version))
            let status: HealthStatus = version % 2 == 0 ? .normal : .homeObservation
            let entries = identities.map {
                SnapshotEntry(
                    subjectKey: SubjectKey(identity: $0, epochKey: Demo.epochKey),
                    record: StatusRecord(status: status, updatedAt: createdAt))
            }
            try store.replaceAll(records: entries, metadata: Demo.metadata(sequence: version, createdAt: createdAt))
        }
        try install(0)

        let versions = 8
        let observed = try await withThrowingTaskGroup(of: [Int].self) { group in
            group.addTask {
                for version in 1...versions {
                    try install(version)
                    // Installs are fast now: leave the reader room between them so it sees several versions.
                    try await Task.sleep(for: .milliseconds(20))
                }
                return []
            }
            group.addTask {
                var seen: [Int] = []
                var lastSequence = 0
                while lastSequence < versions {
                    // Probe a key inserted early and one inserted late in the transaction.
                    for probe in [identities[0], identities[people - 1]] {
                        let lookup = try #require(try store.lookup([probe]))
                        let match = try #require(lookup.match, "a reader saw a snapshot without the key")
                        #expect(match.record.updatedAt == lookup.metadata.createdAt, "mixed snapshot")
                        let expected: HealthStatus = lookup.metadata.sequence % 2 == 0 ? .normal : .homeObservation
                        #expect(match.record.status == expected)
                        #expect(lookup.metadata.recordCount == people)
                        lastSequence = lookup.metadata.sequence
                        seen.append(lastSequence)
                    }
                }
                return seen
            }
            var all: [Int] = []
            for try await part in group { all += part }
            return all
        }
        #expect(observed.count > 2)
        #expect(observed == observed.sorted(), "sequences never go backwards")
    }

    /// A kiosk upgraded from the column schema (migrations v1+v2) keeps its snapshot: the rows are repacked by
    /// migration v3, custom pop-up text included, and the old table is gone.
    @Test func migratesAColumnSchemaSnapshotToPackedRows() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("snapshot.sqlite")
        do {
            let queue = try DatabaseQueue(path: path)
            try queue.write { db in
                try db.execute(
                    sql: """
                        CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                        INSERT INTO grdb_migrations VALUES ('v1-snapshot'), ('v2-snapshot-max-age');
                        CREATE TABLE snapshot_meta (
                            id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1), epoch INTEGER NOT NULL,
                            epoch_key BLOB NOT NULL, sequence INTEGER NOT NULL, created_at INTEGER NOT NULL,
                            record_count INTEGER NOT NULL, source TEXT NOT NULL, max_age_seconds INTEGER);
                        CREATE TABLE subject_status (
                            subject_key BLOB PRIMARY KEY NOT NULL, status INTEGER NOT NULL, popup_code INTEGER,
                            popup_zh TEXT, popup_en TEXT, nat_sampled_at INTEGER, nat_result INTEGER,
                            vaccine_doses INTEGER, vaccine_last_dose INTEGER, commuter_until INTEGER,
                            updated_at INTEGER NOT NULL) WITHOUT ROWID;
                        """)
                try db.execute(
                    sql: "INSERT INTO snapshot_meta VALUES (1, 7, ?, 4, 1795939200, 2, 'old', 3600)",
                    arguments: [Data(Demo.epochKey.bytes)])
                // key 1: home observation, pop-up 4 with its own text, NAT negative, 3 doses, commuter mark.
                try db.execute(
                    sql: "INSERT INTO subject_status VALUES (?, 1, 4, '请联系社区', 'Call your community', 1795932000, 0, 3, 20260301, 20261231, 1795939200)",
                    arguments: [Data(key(1).bytes)])
                try db.execute(
                    sql: "INSERT INTO subject_status VALUES (?, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1795939200)",
                    arguments: [Data(key(2).bytes)])
            }
        }
        let store = try SnapshotStore(path: path)
        let metadata = try #require(try store.metadata())
        #expect(metadata.sequence == 4 && metadata.recordCount == 2 && metadata.maxAgeSeconds == 3600)
        let first = try #require(try store.status(for: [key(1)])).1
        #expect(first.status == .homeObservation)
        #expect(first.popup == Popup(code: 4, guidance: Guidance(zh: "请联系社区", en: "Call your community")))
        #expect(first.nucleicAcidTest == NucleicAcidTest(sampledAt: Date(timeIntervalSince1970: 1_795_932_000), result: .negative))
        #expect(first.vaccination == Vaccination(doses: 3, lastDose: CalendarDate(year: 2026, month: 3, day: 1)))
        #expect(first.commuter == CommuterMark(validUntil: CalendarDate(year: 2026, month: 12, day: 31)!))
        #expect(try store.status(for: [key(2)])?.1 == Demo.record(.normal))
        let tables = try DatabaseQueue(path: path).read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        }
        #expect(!tables.contains("subject_status"))
        #expect(tables.contains("snapshot_row") && tables.contains("snapshot_row_overflow"))
    }

    /// A delta that replaces a record with a custom pop-up text by one with the standard text (or deletes it)
    /// removes the custom text too: the text never outlives its record.
    @Test func deltaClearsCustomPopupTextWithItsRecord() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SnapshotStore(path: dir.path("snapshot.sqlite"))
        let custom = StatusRecord(
            status: .normal, popup: Popup(code: 2, guidance: Guidance(zh: "特别说明", en: "Special")),
            updatedAt: Demo.createdAt)
        try store.replaceAll(
            records: [SnapshotEntry(subjectKey: key(1), record: custom), SnapshotEntry(subjectKey: key(2), record: custom)],
            metadata: Demo.metadata(sequence: 1))
        #expect(try store.status(for: [key(1)])?.1.popup?.guidance.zh == "特别说明")
        let standard = StatusRecord(status: .normal, popup: Popup(code: 2), updatedAt: Demo.createdAt)
        let stored = try store.apply(
            SnapshotDelta(
                fromSequence: 1, metadata: Demo.metadata(sequence: 2),
                upserts: [SnapshotEntry(subjectKey: key(1), record: standard)], deletions: [key(2)]))
        #expect(stored.recordCount == 1)
        #expect(try store.status(for: [key(1)])?.1.popup == Popup(code: 2))
        #expect(try store.status(for: [key(2)]) == nil)
        // Re-adding key 2 without custom text must not resurrect the old text.
        try store.apply(
            SnapshotDelta(
                fromSequence: 2, metadata: Demo.metadata(sequence: 3),
                upserts: [SnapshotEntry(subjectKey: key(2), record: standard)], deletions: []))
        #expect(try store.status(for: [key(2)])?.1.popup == Popup(code: 2))
    }

    /// An error thrown while a streamed install is half written rolls the whole install back.
    @Test func anErrorMidInstallLeavesTheOldSnapshot() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SnapshotStore(path: dir.path("snapshot.sqlite"))
        try store.replaceAll(records: [SnapshotEntry(subjectKey: key(1), record: Demo.record(.normal))], metadata: Demo.metadata(sequence: 1))
        struct Interrupted: Error {}
        #expect(throws: Interrupted.self) {
            try store.install(.full, metadata: Demo.metadata(sequence: 2)) { writer in
                for n in 10..<1010 { try writer.upsert(SnapshotEntry(subjectKey: key(n), record: Demo.record(.homeObservation))) }
                throw Interrupted()
            }
        }
        #expect(try store.metadata()?.sequence == 1)
        #expect(try store.metadata()?.recordCount == 1)
        #expect(try store.status(for: [key(1)])?.1.status == .normal)
        #expect(try store.status(for: [key(10)]) == nil)
    }
}

/// Keys that share their first 8 bytes (one row id): the second goes to the overflow table, and every path —
/// full install, lookup, delta upsert, delete, re-insert — keeps each key's own record.
@Suite struct SnapshotStoreRowIDCollisionTests {
    static func key(_ last: UInt8, prefix: UInt8 = 0xA7, at index: Int = 8) -> SubjectKey {
        var bytes = [UInt8](repeating: prefix, count: 16)
        bytes[index] = last
        return SubjectKey(bytes: bytes)!
    }

    @Test func keysSharingARowIDKeepTheirOwnRecords() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SnapshotStore(path: dir.path("snapshot.sqlite"))
        let a = Self.key(1), b = Self.key(2), c = Self.key(3)
        let other = Self.key(9, at: 13)  // same row id as a, b, c; different stored bytes 8–11
        #expect(SnapshotWriter.StoredKey(a).rowID == SnapshotWriter.StoredKey(b).rowID)
        try store.replaceAll(
            records: [
                SnapshotEntry(subjectKey: a, record: Demo.record(.normal)),
                SnapshotEntry(subjectKey: b, record: Demo.record(.homeObservation)),
            ],
            metadata: Demo.metadata(sequence: 1))
        #expect(try store.metadata()?.recordCount == 2)
        #expect(try store.status(for: [a])?.1.status == .normal)
        #expect(try store.status(for: [b])?.1.status == .homeObservation)
        #expect(try store.status(for: [c]) == nil)  // same row id, not stored
        #expect(try store.status(for: [other]) == nil)

        // Delta: change b (in the overflow), delete a (in the main row), add c.
        var stored = try store.apply(
            SnapshotDelta(
                fromSequence: 1, metadata: Demo.metadata(sequence: 2),
                upserts: [
                    SnapshotEntry(subjectKey: b, record: Demo.record(.centralizedObservation)),
                    SnapshotEntry(subjectKey: c, record: Demo.record(.homeObservation)),
                ],
                deletions: [a]))
        #expect(stored.recordCount == 2)
        #expect(try store.status(for: [a]) == nil)
        #expect(try store.status(for: [b])?.1.status == .centralizedObservation)
        #expect(try store.status(for: [c])?.1.status == .homeObservation)

        // b now moves to the free row id if re-upserted; deleting it afterwards leaves no stale copy anywhere.
        stored = try store.apply(
            SnapshotDelta(
                fromSequence: 2, metadata: Demo.metadata(sequence: 3),
                upserts: [], deletions: [c]))
        stored = try store.apply(
            SnapshotDelta(
                fromSequence: 3, metadata: Demo.metadata(sequence: 4),
                upserts: [SnapshotEntry(subjectKey: b, record: Demo.record(.normal))], deletions: []))
        #expect(stored.recordCount == 1)
        #expect(try store.status(for: [b])?.1.status == .normal)
        stored = try store.apply(
            SnapshotDelta(fromSequence: 4, metadata: Demo.metadata(sequence: 5), upserts: [], deletions: [b]))
        #expect(stored.recordCount == 0)
        #expect(try store.status(for: [b]) == nil)
    }

    @Test func theSame12BytesTwiceIsADuplicateAndChangesNothing() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SnapshotStore(path: dir.path("snapshot.sqlite"))
        let a = Self.key(1)
        let twin = Self.key(1, at: 8)  // identical
        var sameTwelve = a.bytes
        sameTwelve[15] ^= 0xFF  // differs only after the 12 stored bytes
        #expect(a == twin)
        try store.replaceAll(records: [SnapshotEntry(subjectKey: a, record: Demo.record(.normal))], metadata: Demo.metadata(sequence: 1))
        #expect(throws: (any Error).self) {
            try store.replaceAll(
                records: [
                    SnapshotEntry(subjectKey: a, record: Demo.record(.homeObservation)),
                    SnapshotEntry(subjectKey: SubjectKey(bytes: sameTwelve)!, record: Demo.record(.homeObservation)),
                ],
                metadata: Demo.metadata(sequence: 2))
        }
        #expect(try store.metadata()?.sequence == 1)
        #expect(try store.status(for: [a])?.1.status == .normal)
    }
}
