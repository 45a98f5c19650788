import Crypto
import Foundation
import KioskCore
import Logging
import Testing

@testable import Resolution

/// The kiosk stores and sends subject keys only (DESIGN.md §4): a whole online/offline/sync/upload cycle, then every
/// file the kiosk wrote and every request it sent is searched for the raw test identities.
@Suite struct CentralPrivacyTests {
    static let raw: [String] = [
        Demo.idNumber, Demo.idNumberLower, Demo.pan, Demo.sscCard, Demo.sscCard.lowercased(), Demo.name,
        Demo.secondID, Demo.secondPAN, Demo.permit, Demo.foreignPR, Demo.printedCode, "Wang Xiao Li",
    ]

    @Test func noRawIdentityInAnyFileOrRequest() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let publisher = TestPublisher()
        let people = [
            Demo.identity(.residentID, Demo.idNumber, name: Demo.name), Demo.identity(.bankCardPAN, Demo.pan),
            Demo.identity(.socialSecurityCard, Demo.sscCard), Demo.identity(.residentID, Demo.secondID, name: "Wang Xiao Li"),
            Demo.identity(.bankCardPAN, Demo.secondPAN), Demo.identity(.residencePermit, Demo.permit),
            Demo.identity(.foreignPermanentResident, Demo.foreignPR), Demo.identity(.printedCode, Demo.printedCode),
        ]
        let now = Date()
        let entries = people.map {
            SnapshotPayloadEntry(
                key: SubjectKey(identity: $0, epochKey: Demo.epochKey),
                change: .upsert(StatusRecord(status: .normal, updatedAt: now.addingTimeInterval(-60))))
        }
        let full = try TestPublisher.payload(
            kind: .full, epoch: 7, sequence: 1, createdAt: now.addingTimeInterval(-60), entries: entries)
        let central = FakeCentral()
        try publisher.publish(
            on: central, epochKey: Demo.epochKey, sequence: 1, createdAt: now.addingTimeInterval(-60), full: full,
            records: entries.count)
        central.update { $0.records[entries[0].key] = FakeCentral.recordJSON(.normal) }
        central.update { $0.cutAfter = 100 }  // and a partial file on the way
        let state = dir.url.appendingPathComponent("state")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)

        try await central.run { baseURL in
            let client = try OnlineResolverTests.client(baseURL)
            let store = try SnapshotStore(path: dir.path("snapshot.sqlite"))
            let log = try VisitLog(path: dir.path("visits.sqlite"))
            let sync = SnapshotSync(
                client: client, store: store,
                configuration: SnapshotSyncConfiguration(publicKey: publisher.signingKey.publicKey, stateDirectory: state),
                logger: OnlineResolverTests.logger)
            _ = try? await sync.syncOnce()  // cut: leaves a partial payload file
            _ = Self.searchFiles(in: dir)
            _ = try await sync.syncOnce()
            let resolver = Resolver(
                snapshot: store, central: client, policy: .init(onlineRetryAfterFailure: .zero),
                logger: OnlineResolverTests.logger)
            for (i, person) in people.enumerated() {
                if i == 4 { central.update { $0.lookupMode = .status(500) } }
                let tap = await resolver.resolveTap([person, Demo.identity(.bankCardPAN, Demo.pan)], now: now)
                try log.append(
                    Visit(
                        venue: "venue-test", at: now, subjectKey: tap.visitKey, epoch: tap.epoch,
                        result: tap.resolution.resultCode, provenance: tap.resolution.provenanceCode))
            }
            let uploader = VisitUploader(
                client: client, log: log, configuration: VisitUploaderConfiguration(), logger: OnlineResolverTests.logger)
            #expect(try await uploader.uploadPending() == people.count)
            // While the databases are open: main files, -wal and -shm.
            #expect(Self.searchFiles(in: dir) >= 5)
            try await client.shutdown()
        }
        #expect(Self.searchFiles(in: dir) >= 2)
        let requests = central.read(\.requests)
        #expect(requests.count >= people.count + 3)
        for request in requests {
            let text = request.path + request.headers.map { "\($0.key): \($0.value)" }.joined()
            for value in Self.raw {
                #expect(!request.body.contains(value), "\(value) in the body of \(request.path)")
                #expect(!text.contains(value), "\(value) in \(request.path)")
            }
        }
    }

    /// Searches every file under `dir` for the raw identities; returns how many files were searched.
    static func searchFiles(in dir: TemporaryDirectory) -> Int {
        var searched = 0
        let files = FileManager.default.enumerator(atPath: dir.url.path)?.compactMap { $0 as? String } ?? []
        for name in files {
            guard let data = FileManager.default.contents(atPath: dir.path(name)) else { continue }
            searched += 1
            for value in raw { #expect(!data.contains(value), "\(value) in \(name)") }
        }
        return searched
    }

    /// Online lookup latency over loopback, printed for the closing note (not a pass/fail threshold).
    /// `KIOSK_MEASURE=1` to run.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["KIOSK_MEASURE"] != nil))
    func measureOnlineLookupLatency() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try OnlineResolverTests.demoStore(dir)
        let identity = Demo.identity(.residentID, Demo.idNumber)
        let central = FakeCentral()
        central.update { $0.records[SubjectKey(identity: identity, epochKey: Demo.epochKey)] = FakeCentral.recordJSON(.normal) }
        try await central.run { baseURL in
            let client = try OnlineResolverTests.client(baseURL)
            let resolver = Resolver(snapshot: store, central: client, logger: OnlineResolverTests.logger)
            let now = Demo.createdAt.addingTimeInterval(60)
            var samples: [Duration] = []
            for _ in 0..<300 {
                let start = ContinuousClock.now
                let tap = await resolver.resolveTap([identity], now: now)
                samples.append(ContinuousClock.now - start)
                #expect(tap.resolution.provenance == .online)
            }
            samples = Array(samples.dropFirst(20)).sorted()
            print("MEASURE online lookup over loopback: p50 \(samples[samples.count / 2]), p99 \(samples[samples.count * 99 / 100]), n \(samples.count)")
            try await client.shutdown()
        }
    }
}
