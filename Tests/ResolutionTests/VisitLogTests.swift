import Foundation
import KioskCore
import Testing

@testable import Resolution

@Suite struct VisitLogTests {
    let base = Demo.createdAt  // 08:00:00Z
    let key = SubjectKey(kind: .residentID, normalisedValue: Demo.idNumber, epochKey: Demo.epochKey)

    private func visit(minutes: Double, result: String = "normal", key: SubjectKey? = nil) -> Visit {
        Visit(
            venue: "朝阳医院 东门", at: base.addingTimeInterval(minutes * 60), subjectKey: key, result: result,
            provenance: "snapshot")
    }

    @Test func appendsCountsAndSurvivesReopening() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let first = visit(minutes: 10, key: key)
        do {
            let log = try VisitLog(path: dir.path("visits.sqlite"))
            #expect(try log.count() == 0)
            try log.append(first)
            try log.append(visit(minutes: 40, result: "unknown"))
            #expect(try log.count() == 2)
        }
        let reopened = try VisitLog(path: dir.path("visits.sqlite"))
        #expect(try reopened.count() == 2)
        #expect(try reopened.pending(limit: 10).first == first)
    }

    @Test func duplicateIDsAreRejected() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let log = try VisitLog(path: dir.path("visits.sqlite"))
        let one = visit(minutes: 1)
        try log.append(one)
        let error = try #require(throws: VisitLog.DuplicateVisit.self) { try log.append(one) }
        #expect(error.id == one.id)
        #expect(try log.count() == 1)
    }

    @Test func pendingOldestFirstAndMarkUploaded() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let log = try VisitLog(path: dir.path("visits.sqlite"))
        let visits = [visit(minutes: 30), visit(minutes: 10, key: key), visit(minutes: 20)]
        for v in visits { try log.append(v) }

        let firstTwo = try log.pending(limit: 2)
        #expect(firstTwo.map(\.id) == [visits[1].id, visits[2].id])
        #expect(firstTwo.first?.subjectKey == key)
        #expect(firstTwo.first?.venue == "朝阳医院 东门")

        let uploadTime = base.addingTimeInterval(3600)
        #expect(try log.markUploaded(ids: firstTwo.map(\.id) + [UUID()], at: uploadTime) == 2)
        #expect(try log.markUploaded(ids: [visits[1].id], at: uploadTime.addingTimeInterval(60)) == 0)
        #expect(try log.pending(limit: 10).map(\.id) == [visits[0].id])
        #expect(try log.count() == 3)

        #expect(try log.deleteUploaded(before: base.addingTimeInterval(15 * 60)) == 1)
        #expect(try log.count() == 2)
        #expect(try log.pending(limit: 0).isEmpty)
    }

    @Test func summarisesByHour() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let log = try VisitLog(path: dir.path("visits.sqlite"))
        let visits = [
            visit(minutes: 5), visit(minutes: 50, result: "homeObservation"), visit(minutes: 55),
            visit(minutes: 65, result: "unknown"),
        ]
        for v in visits { try log.append(v) }
        try log.markUploaded(ids: [visits[0].id], at: base)

        let summary = try log.summaryByHour()
        #expect(summary.count == 2)
        #expect(
            summary[0]
                == VisitHourSummary(
                    hour: base, total: 3, byResult: ["normal": 2, "homeObservation": 1], pending: 2))
        #expect(
            summary[1]
                == VisitHourSummary(
                    hour: base.addingTimeInterval(3600), total: 1, byResult: ["unknown": 1], pending: 1))
        #expect(try log.summaryByHour(since: base.addingTimeInterval(3600)).count == 1)
    }

    @Test func visitFromResolutionCarriesOnlyKeyAndCodes() throws {
        let record = StatusRecord(status: .homeObservation, updatedAt: base)
        let resolution = Resolution(
            outcome: .found(record, matched: key), provenance: .snapshot(sequence: 3, asOf: base), resolvedAt: base)
        let v = Visit(venue: "V1", resolution: resolution)
        #expect(v.subjectKey == key)
        #expect(v.result == "homeObservation")
        #expect(v.provenance == "snapshot")
        #expect(v.at == base)

        let unknown = Visit(
            venue: "V1",
            resolution: Resolution(
                outcome: .cannotVerify, provenance: .cannotVerify(reason: .snapshotTooOld), resolvedAt: base))
        #expect(unknown.subjectKey == nil)
        #expect(unknown.provenance == "cannotVerify:snapshotTooOld")
    }

    @Test func theLogFileHoldsNoRawIdentity() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let log = try VisitLog(path: dir.path("visits.sqlite"))
        let resolution = Resolution(
            outcome: .found(StatusRecord(status: .normal, updatedAt: base), matched: key),
            provenance: .online, resolvedAt: base)
        try log.append(Visit(venue: "V1", resolution: resolution))
        let files = dir.databaseBytes("visits.sqlite")
        #expect(files.contains { $0.range(of: Data(key.bytes)) != nil })
        for secret in [Demo.idNumber, Demo.pan, Demo.name] {
            #expect(files.allSatisfy { !$0.contains(secret) })
        }
    }
}
