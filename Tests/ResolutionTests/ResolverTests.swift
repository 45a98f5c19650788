import Foundation
import KioskCore
import Logging
import Testing

@testable import Resolution

@Suite struct ResolverTests {
    let logger = Logger(label: "test.resolver")
    let idIdentity = Demo.identity(.residentID, Demo.idNumber, name: Demo.name)
    let panIdentity = Demo.identity(.bankCardPAN, Demo.pan)

    private func resolverWithDemo(_ dir: TemporaryDirectory, policy: Resolver.Policy = .init()) throws -> Resolver {
        let store = try SnapshotStore(path: dir.path("snapshot.sqlite"))
        let file = try dir.write(Demo.peopleFile, to: "people.json")
        try SnapshotImporter.importPeople(file: file, into: store, now: Demo.createdAt)
        return Resolver(snapshot: store, policy: policy, logger: logger)
    }

    @Test func freshSnapshotFindsThePersonStrongestIdentityFirst() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let resolver = try resolverWithDemo(dir)
        let now = Demo.createdAt.addingTimeInterval(3600)

        // The card gives the PAN first; the validated ID number is stronger and is the one matched.
        let resolution = resolver.resolveOffline([panIdentity, idIdentity], now: now)
        let idKey = SubjectKey(identity: idIdentity, epochKey: Demo.epochKey)
        guard case .found(let record, let matched) = resolution.outcome else {
            Issue.record("expected found, got \(resolution.outcome)")
            return
        }
        #expect(matched == idKey)
        #expect(record.status == .normal)
        #expect(resolution.provenance == .snapshot(sequence: 12, asOf: Demo.createdAt))
        #expect(resolution.resolvedAt == now)
        #expect(resolution.resultCode == "normal")

        let panOnly = resolver.resolveOffline([panIdentity], now: now)
        #expect(panOnly.resultCode == "normal")
        if case .found(_, let matched) = panOnly.outcome {
            #expect(matched == SubjectKey(identity: panIdentity, epochKey: Demo.epochKey))
        }
    }

    @Test func unknownPersonFromAFreshSnapshot() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let resolver = try resolverWithDemo(dir)
        let stranger = Demo.identity(.residentID, "440306195208087715")
        let resolution = resolver.resolveOffline([stranger], now: Demo.createdAt.addingTimeInterval(60))
        #expect(resolution.outcome == .unknownPerson)
        #expect(resolution.provenance == .snapshot(sequence: 12, asOf: Demo.createdAt))
        #expect(resolver.resolveOffline([], now: Demo.createdAt).outcome == .unknownPerson)
    }

    @Test func noSnapshotCannotVerify() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let resolver = Resolver(snapshot: try SnapshotStore(path: dir.path("empty.sqlite")), logger: logger)
        let resolution = resolver.resolveOffline([idIdentity], now: Demo.createdAt)
        #expect(resolution.outcome == .cannotVerify)
        #expect(resolution.provenance == .cannotVerify(reason: .noData))
        #expect(resolution.provenanceCode == "cannotVerify:noData")
    }

    static let stalenessCases: [(hours: Double, expected: String)] = [
        (47.9, "normal"),
        (48.0, "normal"),
        (48.1, "cannotVerify:snapshotTooOld"),
        (24 * 30, "cannotVerify:snapshotTooOld"),
        (-0.05, "normal"),  // 3 min behind: within the skew tolerance
        (-0.1, "cannotVerify:clockBehindSnapshot"),
        (-24 * 365 * 6, "cannotVerify:clockBehindSnapshot"),  // RTC reset to 2020
    ]

    @Test(arguments: stalenessCases)
    func stalenessAndClockPolicy(hours: Double, expected: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let resolver = try resolverWithDemo(dir)
        let resolution = resolver.resolveOffline([idIdentity], now: Demo.createdAt.addingTimeInterval(hours * 3600))
        let code = resolution.outcome == .cannotVerify ? resolution.provenanceCode : resolution.resultCode
        #expect(code == expected)
        if resolution.outcome == .cannotVerify {
            // Never a stale green: nothing of the record leaks into a cannot-verify answer.
            #expect(resolution.resultCode == "cannotVerify")
        }
    }

    @Test func maximumAgeIsConfigurable() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let resolver = try resolverWithDemo(
            dir, policy: Resolver.Policy(maximumAge: .seconds(24 * 3600), clockSkewTolerance: .zero))
        #expect(
            resolver.resolveOffline([idIdentity], now: Demo.createdAt.addingTimeInterval(25 * 3600))
                .provenance == .cannotVerify(reason: .snapshotTooOld))
        #expect(
            resolver.resolveOffline([idIdentity], now: Demo.createdAt.addingTimeInterval(-1))
                .provenance == .cannotVerify(reason: .clockBehindSnapshot))
        #expect(resolver.resolveOffline([idIdentity], now: Demo.createdAt).resultCode == "normal")
    }
}
