import Foundation
import KioskCore
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import Resolution

/// VisitUploader against a real HTTP server: batches, backoff, exactly once across retries, retention.
@Suite struct VisitUploaderTests {
    static let logger = OnlineResolverTests.logger

    static func visits(_ n: Int, at base: Date = Date()) -> [Visit] {
        (0..<n).map { i in
            Visit(
                venue: "venue-test", at: base.addingTimeInterval(Double(i)),
                subjectKey: SubjectKey(kind: .printedCode, normalisedValue: "V\(i)", epochKey: Demo.epochKey), epoch: 7,
                result: "normal", provenance: i % 2 == 0 ? "online" : "snapshot")
        }
    }

    @Test func uploadsEveryVisitExactlyOnceAcrossAFailedAttemptAndALostAcknowledgement() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let log = try VisitLog(path: dir.path("visits.sqlite"))
        let all = Self.visits(1203)
        for visit in all { try log.append(visit) }
        let central = FakeCentral()
        central.update { $0.failVisitPosts = 1 }
        try await central.run { baseURL in
            let client = try OnlineResolverTests.client(baseURL)
            let uploader = VisitUploader(
                client: client, log: log, configuration: VisitUploaderConfiguration(), logger: Self.logger)
            // First attempt: the centre answers 503; nothing is marked.
            await #expect(throws: CentralClientError.self) { try await uploader.uploadPending() }
            #expect(try log.pendingCount() == 1203)

            // A batch the centre stored although its acknowledgement was lost: sent again, counted as duplicates.
            let receipt = try await client.uploadVisits(Array(all.prefix(10)))
            #expect(receipt == VisitUploadReceipt(accepted: 10, duplicates: 0))

            #expect(try await uploader.uploadPending() == 1203)
            #expect(try log.pendingCount() == 0)
            #expect(try await uploader.uploadPending() == 0)
            central.read { state in
                #expect(state.visits.count == 1203)
                // 1 failed + 1 manual + 3 batches (500, 500, 203).
                #expect(state.visitPosts == 5)
            }
            let ids = Set(all.map { $0.id.uuidString.lowercased() })
            #expect(central.read { Set($0.visits.keys) } == ids)
            try await client.shutdown()
        }
    }

    @Test func runsAsAServiceWithBackoffUntilShutdown() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let log = try VisitLog(path: dir.path("visits.sqlite"))
        for visit in Self.visits(40) { try log.append(visit) }
        let central = FakeCentral()
        central.update { $0.failVisitPosts = 2 }
        try await central.run { baseURL in
            let client = try OnlineResolverTests.client(baseURL)
            let uploader = VisitUploader(
                client: client, log: log,
                configuration: VisitUploaderConfiguration(
                    interval: .milliseconds(50), initialBackoff: .milliseconds(20), maximumBackoff: .milliseconds(100)),
                logger: Self.logger)
            let group = ServiceGroup(
                configuration: .init(services: [client, uploader], logger: Self.logger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let deadline = ContinuousClock.now + .seconds(10)
                while central.read({ $0.visits.count }) < 40, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            #expect(central.read { $0.visits.count } == 40)
            #expect(central.read { $0.visitPosts } >= 3)
            #expect(try log.pendingCount() == 0)
        }
    }

    /// With a `recorded` trigger the uploader does not look at the log while nothing is pending: a visit appended
    /// without a request stays unsent (with a 50 ms interval, the uploader without a trigger sends it at once);
    /// the request wakes it and the visit goes after the interval.
    @Test func withARecordedTriggerItSleepsUntilAVisitIsRecorded() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let log = try VisitLog(path: dir.path("visits.sqlite"))
        let visits = Self.visits(2)
        try log.append(visits[0])
        let central = FakeCentral()
        let recorded = SyncTrigger()
        let changes = Atomic<Int>(0)
        try await central.run { baseURL in
            let client = try OnlineResolverTests.client(baseURL)
            let uploader = VisitUploader(
                client: client, log: log, configuration: VisitUploaderConfiguration(interval: .milliseconds(50)),
                logger: Self.logger, recorded: recorded, onChange: { changes.add(1, ordering: .relaxed) })
            let group = ServiceGroup(configuration: .init(services: [client, uploader], logger: Self.logger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                // The visit already in the log goes at once; then the uploader sleeps.
                let deadline = ContinuousClock.now + .seconds(20)
                while uploader.idleSleeps.count.load(ordering: .acquiring) < 1, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(10))
                }
                #expect(uploader.idleSleeps.count.load(ordering: .acquiring) == 1)
                #expect(central.read { $0.visits.count } == 1)
                #expect(changes.load(ordering: .relaxed) == 1, "onChange after the round that uploaded")

                try log.append(visits[1])
                try await Task.sleep(for: .milliseconds(500))
                #expect(central.read { $0.visits.count } == 1, "the sleeping uploader sent a visit nobody announced")
                #expect(uploader.idleSleeps.count.load(ordering: .acquiring) == 1)

                recorded.request()
                // The centre has the visit before the uploader marks it uploaded in the log: wait for both.
                while try central.read({ $0.visits.count }) < 2 || log.pendingCount() > 0, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(10))
                }
                #expect(central.read { $0.visits.count } == 2)
                #expect(try log.pendingCount() == 0)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }

    @Test func backoffDoublesAndIsCapped() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let client = try OnlineResolverTests.client("http://127.0.0.1:1")
        let uploader = VisitUploader(
            client: client, log: try VisitLog(path: dir.path("v.sqlite")),
            configuration: VisitUploaderConfiguration(initialBackoff: .seconds(2), maximumBackoff: .seconds(60)),
            logger: Self.logger)
        #expect((1...7).map { uploader.backoff(afterFailures: $0) } == [2, 4, 8, 16, 32, 60, 60].map { .seconds($0) })
        try await client.shutdown()
    }

    @Test func retentionPurgesOnlyOldUploadedVisits() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let log = try VisitLog(path: dir.path("visits.sqlite"))
        let now = Date()
        let old = Self.visits(3, at: now.addingTimeInterval(-8 * 24 * 3600))
        let recent = Self.visits(2, at: now.addingTimeInterval(-3600))
        for visit in old + recent { try log.append(visit) }
        try log.markUploaded(ids: [old[0].id, old[1].id, recent[0].id])
        let client = try OnlineResolverTests.client("http://127.0.0.1:1")
        let uploader = VisitUploader(
            client: client, log: log, configuration: VisitUploaderConfiguration(), logger: Self.logger)
        #expect(try uploader.purge(now: now) == 2)  // old uploaded ones; old[2] is pending and stays
        #expect(try log.count() == 3)
        #expect(try log.pending(limit: 10).map(\.id).contains(old[2].id))
        #expect(try log.pending(limit: 10).first?.epoch == 7)
        try await client.shutdown()
    }
}
