import Foundation
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
                for version in 1...versions { try install(version) }
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
}
