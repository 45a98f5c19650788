import Foundation
import KioskCore
import Logging
import Testing

@testable import Resolution

@Suite struct SnapshotImporterTests {
    let now = Demo.createdAt.addingTimeInterval(2 * 3600)
    let shanghai = TimeZone(identifier: "Asia/Shanghai")!

    private func importDemo(_ dir: TemporaryDirectory) throws -> (SnapshotStore, SnapshotImporter.Summary) {
        let store = try SnapshotStore(path: dir.path("snapshot.sqlite"))
        let file = try dir.write(Demo.peopleFile, to: "people.json")
        let summary = try SnapshotImporter.importPeople(file: file, into: store, now: now, timeZone: shanghai)
        return (store, summary)
    }

    @Test func importsEveryIdentityOfEveryPerson() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (store, summary) = try importDemo(dir)

        #expect(summary.people == 5)
        #expect(summary.generatedEpochKey == false)
        #expect(summary.metadata.recordCount == 3 + 2 + 1 + 1 + 1)
        let metadata = try #require(try store.metadata())
        #expect(metadata == summary.metadata)
        #expect(metadata.epochKey == Demo.epochKey)
        #expect(metadata.sequence == 12)
        #expect(metadata.createdAt == Demo.createdAt)
        #expect(metadata.source == "demo")

        let cases: [(IdentityKind, String, HealthStatus)] = [
            (.residentID, Demo.idNumber, .normal),
            (.bankCardPAN, Demo.pan, .normal),
            (.socialSecurityCard, Demo.sscCard, .normal),
            (.residentID, Demo.secondID, .homeObservation),
            (.bankCardPAN, Demo.secondPAN, .homeObservation),
            (.residencePermit, Demo.permit, .centralizedObservation),
            (.foreignPermanentResident, Demo.foreignPR, .normal),
            (.printedCode, Demo.printedCode, .normal),
        ]
        for (kind, value, status) in cases {
            let key = SubjectKey(kind: kind, normalisedValue: value, epochKey: Demo.epochKey)
            let (matched, record) = try #require(try store.status(for: [key]), "\(kind.rawValue)")
            #expect(matched == key)
            #expect(record.status == status, "\(kind.rawValue)")
        }
    }

    @Test func storesTheRecordFieldsWithRelativeTimesResolved() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (store, _) = try importDemo(dir)

        let first = SubjectKey(kind: .residentID, normalisedValue: Demo.idNumber, epochKey: Demo.epochKey)
        let (_, record) = try #require(try store.status(for: [first]))
        #expect(record.popup == Popup(code: 2))
        #expect(
            record.nucleicAcidTest == NucleicAcidTest(sampledAt: now.addingTimeInterval(-20 * 3600), result: .negative))
        #expect(record.nucleicAcidTest?.withinHours(at: now) == 24)
        #expect(record.vaccination == Vaccination(doses: 3, lastDose: CalendarDate(year: 2022, month: 1, day: 10)))
        // now = 2026-11-29 18:00 in Shanghai; +11 days.
        #expect(record.commuter == CommuterMark(validUntil: CalendarDate(year: 2026, month: 12, day: 10)!))
        #expect(record.updatedAt == Demo.createdAt)

        let second = SubjectKey(kind: .bankCardPAN, normalisedValue: Demo.secondPAN, epochKey: Demo.epochKey)
        let (_, other) = try #require(try store.status(for: [second]))
        #expect(
            other.popup == Popup(code: 9, guidance: Guidance(zh: "请到社区登记", en: "Please register with your community")))
        #expect(other.nucleicAcidTest?.result == .pending)
        #expect(other.nucleicAcidTest?.sampledAt == ISO8601DateFormatter().date(from: "2026-11-27T02:00:00Z"))
        #expect(other.vaccination == nil)
        #expect(other.updatedAt == now.addingTimeInterval(-3 * 3600))
    }

    @Test func rawNumbersAndNamesNeverReachTheDatabaseFiles() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (store, _) = try importDemo(dir)
        _ = try store.status(for: [
            SubjectKey(kind: .residentID, normalisedValue: Demo.idNumber, epochKey: Demo.epochKey)
        ])

        let files = dir.databaseBytes("snapshot.sqlite")
        #expect(!files.isEmpty)
        let key = SubjectKey(kind: .residentID, normalisedValue: Demo.idNumber, epochKey: Demo.epochKey)
        #expect(
            files.contains { $0.range(of: Data(SnapshotWriter.StoredKey(key).suffix)) != nil },
            "the subject key (the part stored beside its record) is stored")
        let secrets = [
            Demo.idNumber, Demo.idNumberLower, Demo.pan, Demo.sscCard, Demo.sscCard.lowercased(), Demo.permit,
            Demo.foreignPR, Demo.printedCode, Demo.name, "Wang Xiao Li", Demo.secondID, Demo.secondPAN,
            "110105", "62999999",
        ]
        for secret in secrets {
            #expect(files.allSatisfy { !$0.contains(secret) }, "found a raw value in the database files")
        }
    }

    @Test func generatesAnEpochKeyAndSequenceWhenAbsent() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SnapshotStore(path: dir.path("snapshot.sqlite"))
        let file = try dir.write(
            #"{"createdHoursAgo": 1, "people": [{"idNumber": "\#(Demo.secondID)", "status": "normal"}]}"#,
            to: "people.json")
        let first = try SnapshotImporter.importPeople(file: file, into: store, now: now)
        #expect(first.generatedEpochKey)
        #expect(first.metadata.epochKey.bytes.count == 32)
        #expect(first.metadata.epoch == 1)
        #expect(first.metadata.sequence == 1)
        #expect(first.metadata.createdAt == now.addingTimeInterval(-3600))

        let second = try SnapshotImporter.importPeople(file: file, into: store, now: now)
        #expect(second.metadata.sequence == 2)
        #expect(second.metadata.epochKey != first.metadata.epochKey)
        let key = SubjectKey(kind: .residentID, normalisedValue: Demo.secondID, epochKey: second.metadata.epochKey)
        #expect(try store.status(for: [key]) != nil)
    }

    @Test func reportsEveryBadRowByIndexWithoutTheValueAndImportsNothing() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SnapshotStore(path: dir.path("snapshot.sqlite"))
        let badID = "110101194605121232"  // wrong check digit
        let badPAN = "6299999900000000015"  // fails Luhn
        let file = try dir.write(
            """
            {"people": [
              {"idNumber": "\(Demo.secondID)", "status": "normal"},
              {"idNumber": "\(badID)", "status": "normal"},
              {"pan": "\(badPAN)", "status": "normal"},
              {"name": "No Identity", "status": "normal"},
              {"sscCardNumber": "B87654321", "status": "green"},
              {"idNumber": "\(Demo.secondID)", "status": "normal"},
              {"sscCardNumber": "C11111111", "status": "normal", "nat": {"result": "negative"}},
              {"residencePermitNumber": "\(Demo.secondID)", "status": "normal"}
            ]}
            """, to: "people.json")

        let error = try #require(throws: PeopleFileError.self) {
            try SnapshotImporter.importPeople(file: file, into: store, now: now)
        }
        #expect(error.badRows == [1, 2, 3, 4, 5, 6, 7])
        let fields = error.problems.map { "\($0.row ?? -1):\($0.field)" }
        #expect(fields.contains("1:idNumber"))
        #expect(fields.contains("2:pan"))
        #expect(fields.contains("3:idNumber"))
        #expect(fields.contains("4:status"))
        #expect(fields.contains("5:idNumber"))
        #expect(fields.contains("6:nat.sampledAt"))
        #expect(fields.contains("7:residencePermitNumber"))
        let text = error.description
        #expect(text.contains("people[1].idNumber"))
        #expect(text.contains("same identity as people[0]"))
        for raw in [badID, badPAN, Demo.secondID, "B87654321", "No Identity"] {
            #expect(!text.contains(raw))
        }
        #expect(try store.metadata() == nil)
    }

    @Test func malformedJSONNamesTheRowAndField() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SnapshotStore(path: dir.path("snapshot.sqlite"))
        let file = try dir.write(
            #"{"people": [{"idNumber": "\#(Demo.secondID)", "status": "normal"}, {"idNumber": 110101194605121231}]}"#,
            to: "people.json")
        let error = try #require(throws: PeopleFileError.self) {
            try SnapshotImporter.importPeople(file: file, into: store, now: now)
        }
        #expect(error.problems.count == 1)
        #expect(error.problems.first?.row == 1)
        #expect(error.problems.first?.field == "idNumber")
        #expect(!error.description.contains("110101194605121231"))

        let notJSON = try dir.write("people: none", to: "bad.json")
        let second = try #require(throws: PeopleFileError.self) {
            try SnapshotImporter.importPeople(file: notJSON, into: store, now: now)
        }
        #expect(second.problems.first?.row == nil)

        let missing = dir.url.appendingPathComponent("absent.json")
        #expect(throws: PeopleFileError.self) {
            try SnapshotImporter.importPeople(file: missing, into: store, now: now)
        }
    }

    @Test func badFileLevelFieldsAreReported() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SnapshotStore(path: dir.path("snapshot.sqlite"))
        let file = try dir.write(
            #"{"epochKey": "abcd", "createdAt": "yesterday", "people": []}"#, to: "people.json")
        let error = try #require(throws: PeopleFileError.self) {
            try SnapshotImporter.importPeople(file: file, into: store, now: now)
        }
        #expect(Set(error.problems.map(\.field)) == ["epochKey", "createdAt", "people"])
        #expect(error.badRows.isEmpty)
    }
}

@Suite struct DemoPeopleFileTests {
    static let file = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/demo-people.json")

    @Test func theDemoFileImportsFreshWheneverItRuns() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SnapshotStore(path: dir.path("snapshot.sqlite"))
        let now = Date()
        let summary = try SnapshotImporter.importPeople(file: Self.file, into: store, now: now)
        #expect(summary.people == 12)
        #expect(summary.generatedEpochKey == false)

        let resolver = Resolver(snapshot: store, logger: .init(label: "test"))
        struct Row: Decodable {
            var idNumber: String?
            var pan: String?
            var status: String
            var inSnapshot: Bool?
        }
        struct File: Decodable { var people: [Row] }
        let rows = try JSONDecoder().decode(File.self, from: Data(contentsOf: Self.file)).people
        var seen = Set<String>()
        for row in rows {
            var identities: [Identity] = []
            if let pan = row.pan { identities.append(Identity(kind: .bankCardPAN, value: pan, isValidated: true)) }
            if let id = row.idNumber { identities.append(Identity(kind: .residentID, value: id, isValidated: true)) }
            let resolution = resolver.resolveOffline(identities, now: now)
            if row.inSnapshot == false {
                #expect(resolution.outcome == .unknownPerson)
            } else {
                #expect(resolution.resultCode == row.status)
                seen.insert(row.status)
            }
        }
        #expect(seen == ["normal", "homeObservation", "centralizedObservation"])
    }
}
