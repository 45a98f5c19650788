import Crypto
import Foundation
import KioskCore
import Logging
import Synchronization
import Testing

@testable import Resolution

/// SnapshotSync against a real HTTP server: signatures, delta vs full, resume with Range, hash checks, atomic apply.
@Suite struct SnapshotSyncTests {
    static let logger = OnlineResolverTests.logger
    let epochKey = Demo.epochKey
    let created = Demo.createdAt

    /// Identities `P0…` as printed codes, and their keys in the demo epoch.
    static func key(_ i: Int, epochKey: EpochKey = Demo.epochKey) -> SubjectKey {
        SubjectKey(kind: .printedCode, normalisedValue: "P\(i)", epochKey: epochKey)
    }

    static func upserts(_ range: Range<Int>, _ status: HealthStatus, epochKey: EpochKey = Demo.epochKey)
        -> [SnapshotPayloadEntry]
    {
        range.map {
            SnapshotPayloadEntry(
                key: key($0, epochKey: epochKey), change: .upsert(StatusRecord(status: status, updatedAt: Demo.createdAt)))
        }
    }

    struct Harness {
        let dir: TemporaryDirectory
        let store: SnapshotStore
        let client: CentralClient
        let sync: SnapshotSync
    }

    func withSync(
        publisher: TestPublisher, _ body: @Sendable (FakeCentral, Harness) async throws -> Void
    ) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SnapshotStore(path: dir.path("snapshot.sqlite"))
        let central = FakeCentral()
        let state = dir.url.appendingPathComponent("state")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        try await central.run { baseURL in
            let client = try OnlineResolverTests.client(baseURL)
            let sync = SnapshotSync(
                client: client, store: store,
                configuration: SnapshotSyncConfiguration(
                    publicKey: publisher.signingKey.publicKey, stateDirectory: state),
                logger: Self.logger)
            do {
                try await body(central, Harness(dir: dir, store: store, client: client, sync: sync))
            } catch {
                try await client.shutdown()
                throw error
            }
            try await client.shutdown()
        }
    }

    /// ``withSync(publisher:_:)`` with a full payload already published: `count` upserts to normal (keys `P0…`) as
    /// `sequence` of epoch 7, signed by the body's publisher.
    func withPublishedFull(
        sequence: Int, records count: Int,
        _ body: @Sendable (FakeCentral, Harness, TestPublisher, _ full: (Data, PayloadReference)) async throws -> Void
    ) async throws {
        let publisher = TestPublisher()
        let epochKey = self.epochKey, created = self.created
        try await withSync(publisher: publisher) { central, h in
            let entries = Self.upserts(0..<count, .normal)
            let full = try TestPublisher.payload(
                kind: .full, epoch: 7, sequence: sequence, createdAt: created, entries: entries)
            try publisher.publish(
                on: central, epochKey: epochKey, sequence: sequence, createdAt: created, full: full, records: count)
            try await body(central, h, publisher, full)
        }
    }

    func status(_ store: SnapshotStore, _ i: Int) throws -> HealthStatus? {
        try store.status(for: [Self.key(i)])?.1.status
    }

    @Test func fullThenUpToDateThenDeltaThenBrokenChainGoesFull() async throws {
        let publisher = TestPublisher()
        let epochKey = self.epochKey, created = self.created
        try await withSync(publisher: publisher) { central, h in
            let full20 = try TestPublisher.payload(
                kind: .full, epoch: 7, sequence: 20, createdAt: created, entries: Self.upserts(0..<100, .normal))
            try publisher.publish(
                on: central, epochKey: epochKey, sequence: 20, createdAt: created, maxAgeSeconds: 24 * 3600,
                full: full20, records: 100)
            let first = try await h.sync.syncOnce()
            guard case .installed(let metadata, delta: false) = first else {
                Issue.record("expected a full install, got \(first)")
                return
            }
            #expect(metadata.sequence == 20)
            #expect(metadata.recordCount == 100)
            #expect(try h.store.metadata()?.maxAgeSeconds == 24 * 3600)
            #expect(try self.status(h.store, 5) == .normal)
            #expect(try await h.sync.syncOnce() == .upToDate(sequence: 20))
            // The manifest was asked with `since`.
            #expect(central.read { $0.requests.contains { $0.path.contains("manifest?since=20") } })

            // Delta 20 → 21: change 5, delete 6, add 100.
            let delta = try TestPublisher.payload(
                kind: .delta, epoch: 7, sequence: 21, from: 20, createdAt: created.addingTimeInterval(600),
                entries: Self.upserts(5..<6, .centralizedObservation) + Self.upserts(100..<101, .homeObservation)
                    + [SnapshotPayloadEntry(key: Self.key(6), change: .delete)])
            let full21 = try TestPublisher.payload(
                kind: .full, epoch: 7, sequence: 21, createdAt: created.addingTimeInterval(600),
                entries: Self.upserts(0..<5, .normal))
            try publisher.publish(
                on: central, epochKey: epochKey, sequence: 21, createdAt: created.addingTimeInterval(600),
                full: full21, delta: delta, records: 100)
            let second = try await h.sync.syncOnce()
            guard case .installed(let m21, delta: true) = second else {
                Issue.record("expected a delta install, got \(second)")
                return
            }
            #expect(m21.sequence == 21)
            #expect(m21.recordCount == 100)
            #expect(try self.status(h.store, 5) == .centralizedObservation)
            #expect(try self.status(h.store, 6) == nil)
            #expect(try self.status(h.store, 100) == .homeObservation)
            #expect(try h.store.metadata()?.createdAt == created.addingTimeInterval(600))

            // Broken chain: the centre offers a delta from 22, we have 21 → full.
            let delta23 = try TestPublisher.payload(
                kind: .delta, epoch: 7, sequence: 23, from: 22, createdAt: created.addingTimeInterval(1200),
                entries: Self.upserts(7..<8, .centralizedObservation))
            let full23 = try TestPublisher.payload(
                kind: .full, epoch: 7, sequence: 23, createdAt: created.addingTimeInterval(1200),
                entries: Self.upserts(0..<3, .homeObservation))
            try publisher.publish(
                on: central, epochKey: epochKey, sequence: 23, createdAt: created.addingTimeInterval(1200),
                full: full23, delta: delta23, records: 3)
            let third = try await h.sync.syncOnce()
            guard case .installed(let m23, delta: false) = third else {
                Issue.record("expected a full install, got \(third)")
                return
            }
            #expect(m23.recordCount == 3)
            #expect(try self.status(h.store, 7) == nil)
            #expect(try self.status(h.store, 1) == .homeObservation)
            // Partial files are gone after installs.
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: h.dir.path("state"))
            #expect(leftovers.isEmpty)
        }
    }

    @Test func corruptDeltaFallsBackToFullInTheSameSync() async throws {
        let epochKey = self.epochKey, created = self.created
        try await withPublishedFull(sequence: 1, records: 10) { central, h, publisher, full in
            _ = try await h.sync.syncOnce()
            let delta = try TestPublisher.payload(
                kind: .delta, epoch: 7, sequence: 2, from: 1, createdAt: created,
                entries: Self.upserts(0..<1, .homeObservation))
            let full2 = try TestPublisher.payload(
                kind: .full, epoch: 7, sequence: 2, createdAt: created, entries: Self.upserts(0..<10, .homeObservation))
            try publisher.publish(
                on: central, epochKey: epochKey, sequence: 2, createdAt: created, full: full2, delta: delta, records: 10)
            // The centre serves different bytes under the delta's address.
            central.update { state in
                var bad = delta.0
                bad[bad.count - 1] ^= 0xFF
                state.payloads[delta.1.sha256] = bad
            }
            let outcome = try await h.sync.syncOnce()
            guard case .installed(let metadata, delta: false) = outcome else {
                Issue.record("expected a full install, got \(outcome)")
                return
            }
            #expect(metadata.sequence == 2)
            #expect(try self.status(h.store, 9) == .homeObservation)
        }
    }

    @Test func wrongSignatureKeepsTheOldSnapshot() async throws {
        let epochKey = self.epochKey, created = self.created
        try await withPublishedFull(sequence: 1, records: 10) { central, h, publisher, full in
            _ = try await h.sync.syncOnce()

            let forged = try TestPublisher.payload(
                kind: .full, epoch: 7, sequence: 2, createdAt: created, entries: Self.upserts(0..<10, .centralizedObservation))
            try publisher.publish(
                on: central, epochKey: epochKey, sequence: 2, createdAt: created, full: forged, records: 10,
                signWith: Curve25519.Signing.PrivateKey())
            let error = await #expect(throws: SnapshotSyncError.self) { try await h.sync.syncOnce() }
            #expect(error?.code == .badSignature)
            #expect(try h.store.metadata()?.sequence == 1)
            #expect(try self.status(h.store, 3) == .normal)
            // The forged payload was never downloaded.
            #expect(central.read { !$0.requests.contains { $0.path.contains(forged.1.sha256) } })

            // Garbage instead of a manifest.
            central.update { $0.manifest = Data("{\"epoch\":".utf8) }
            let garbage = await #expect(throws: SnapshotSyncError.self) { try await h.sync.syncOnce() }
            #expect(garbage?.code == .badManifest)
        }
    }

    @Test(arguments: 0..<3)
    func interruptedDownloadResumesWithRange(round: Int) async throws {
        try await withPublishedFull(sequence: 5, records: 3000) { central, h, _, full in
            let cut = Int.random(in: 1..<(full.1.bytes - 1))
            central.update { $0.cutAfter = cut }

            let error = await #expect(throws: SnapshotSyncError.self) { try await h.sync.syncOnce() }
            #expect(error?.code == .downloadFailed)
            #expect(try h.store.metadata() == nil)  // nothing installed from a truncated payload
            let partial = h.dir.path("state/partial-\(full.1.sha256)")
            // Whatever arrived before the cut is kept (bytes in flight when the connection dropped are lost).
            let kept = (try? FileManager.default.attributesOfItem(atPath: partial)[.size] as? Int) ?? 0
            #expect(kept <= cut, "cut at \(cut), kept \(kept)")

            let outcome = try await h.sync.syncOnce()
            guard case .installed(let metadata, delta: false) = outcome else {
                Issue.record("expected an install, got \(outcome)")
                return
            }
            #expect(metadata.recordCount == 3000)
            #expect(central.read { $0.rangeRequests } == (kept > 0 ? ["bytes=\(kept)-"] : []))
            #expect(!FileManager.default.fileExists(atPath: partial))
        }
    }

    /// A payload file that cannot be written (a directory stands at its path here; a full disk in
    /// ``KioskdStorageFaultTests``) fails the download with what the file system said, not as a connection failure.
    @Test func aPayloadThatCannotBeWrittenSaysWhy() async throws {
        try await withPublishedFull(sequence: 5, records: 3000) { _, h, _, full in
            let partial = h.dir.path("state/partial-\(full.1.sha256)")
            try FileManager.default.createDirectory(atPath: partial + "/in-the-way", withIntermediateDirectories: true)

            let error = await #expect(throws: SnapshotSyncError.self) { try await h.sync.syncOnce() }
            #expect(error?.code == .downloadFailed)
            #expect(error?.detail == "cannot write snapshot payload \(partial): Is a directory (EISDIR)")
            #expect(try h.store.metadata() == nil)
        }
    }

    @Test func payloadThatIsNotTheManifestsIsRejectedAndDiscarded() async throws {
        // `throws` spelled out: the body's only `try`s are inside #expect, which effect inference does not see.
        try await withPublishedFull(sequence: 5, records: 50) { central, h, _, full throws in
            central.update { state in
                var bad = full.0
                bad[60] ^= 0x01
                state.payloads[full.1.sha256] = bad
            }
            let error = await #expect(throws: SnapshotSyncError.self) { try await h.sync.syncOnce() }
            #expect(error?.code == .hashMismatch)
            #expect(try h.store.metadata() == nil)
            #expect(!FileManager.default.fileExists(atPath: h.dir.path("state/partial-\(full.1.sha256)")))
        }
    }

    @Test func deltaOnTheWrongBaseChangesNothing() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SnapshotStore(path: dir.path("s.sqlite"))
        let entries = (0..<10).map { SnapshotEntry(subjectKey: Self.key($0), record: Demo.record(.normal)) }
        try store.replaceAll(records: entries, metadata: Demo.metadata(sequence: 3))
        let delta = SnapshotDelta(
            fromSequence: 2, metadata: Demo.metadata(sequence: 4),
            upserts: [SnapshotEntry(subjectKey: Self.key(1), record: Demo.record(.centralizedObservation))],
            deletions: [Self.key(2)])
        #expect(throws: SnapshotStoreError.wrongBase(installed: 3, deltaFrom: 2)) { try store.apply(delta) }
        #expect(try store.metadata()?.sequence == 3)
        #expect(try store.status(for: [Self.key(1)])?.1.status == .normal)
        #expect(try store.status(for: [Self.key(2)]) != nil)
    }

    /// Readers running during delta applies always see one whole snapshot: the metadata and the records of the same
    /// sequence (odd sequences all normal, even ones all homeObservation). (`replaceAll` has the same test in
    /// SnapshotStoreTests.)
    @Test func readersSeeTheOldOrTheNewDeltaNeverAMix() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SnapshotStore(path: dir.path("s.sqlite"))
        let n = 5_000
        @Sendable func entries(_ status: HealthStatus) -> [SnapshotEntry] {
            (0..<n).map { SnapshotEntry(subjectKey: Self.key($0), record: Demo.record(status)) }
        }
        try store.replaceAll(records: entries(.normal), metadata: Demo.metadata(sequence: 1))
        let probes = [0, n - 1].map { Demo.identity(.printedCode, "P\($0)") }
        let last = 7
        let seen = try await withThrowingTaskGroup(of: [Int].self) { group in
            group.addTask {
                for sequence in 2...last {
                    try store.apply(
                        SnapshotDelta(
                            fromSequence: sequence - 1, metadata: Demo.metadata(sequence: sequence),
                            upserts: entries(sequence % 2 == 0 ? .homeObservation : .normal), deletions: []))
                    await Task.yield()
                }
                return []
            }
            group.addTask {
                var seen: [Int] = []
                while seen.last != last {
                    for probe in probes {
                        let lookup = try #require(try store.lookup([probe]))
                        let match = try #require(lookup.match)
                        let expected: HealthStatus = lookup.metadata.sequence % 2 == 1 ? .normal : .homeObservation
                        #expect(match.record.status == expected, "mixed snapshot at \(lookup.metadata.sequence)")
                        #expect(lookup.metadata.recordCount == n)
                        seen.append(lookup.metadata.sequence)
                    }
                    await Task.yield()
                }
                return seen
            }
            var all: [Int] = []
            for try await part in group { all += part }
            return all
        }
        #expect(seen == seen.sorted())
    }

    struct MixedSnapshot: Error { var detail: String }

    @Test func shippedInitialSnapshotIsInstalledOnlyIntoAnEmptyStore() async throws {
        let publisher = TestPublisher()
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SnapshotStore(path: dir.path("s.sqlite"))
        let full = try TestPublisher.payload(
            kind: .full, epoch: 7, sequence: 9, createdAt: created, entries: Self.upserts(0..<20, .normal))
        let manifest = SnapshotManifest(
            epochKey: epochKey, sequence: 9, createdAt: created, maxAgeSeconds: 3600, records: 20, full: full.1
        ).signed(with: publisher.signingKey)
        let manifestFile = dir.url.appendingPathComponent("manifest.json")
        let payloadFile = dir.url.appendingPathComponent("payload.bin")
        try JSONEncoder().encode(manifest).write(to: manifestFile)
        try full.0.write(to: payloadFile)
        let client = try OnlineResolverTests.client("http://127.0.0.1:1")
        let sync = SnapshotSync(
            client: client, store: store,
            configuration: SnapshotSyncConfiguration(publicKey: publisher.signingKey.publicKey, stateDirectory: dir.url),
            logger: Self.logger)
        let installed = try sync.installInitialSnapshot(manifestFile: manifestFile, payloadFile: payloadFile)
        #expect(installed?.sequence == 9)
        #expect(installed?.source == "installation")
        #expect(try sync.installInitialSnapshot(manifestFile: manifestFile, payloadFile: payloadFile) == nil)
        try await client.shutdown()
    }

    /// Delta apply time, printed for the closing note (not a pass/fail threshold). `KIOSK_MEASURE=1` to run.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["KIOSK_MEASURE"] != nil))
    func measureDeltaApply() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SnapshotStore(path: dir.path("s.sqlite"))
        let n = Int(ProcessInfo.processInfo.environment["KIOSK_MEASURE"] ?? "") ?? 100_000
        let base = (0..<n).map { SnapshotEntry(subjectKey: Self.key($0), record: Demo.record(.normal)) }
        let fullStart = ContinuousClock.now
        try store.replaceAll(records: base, metadata: Demo.metadata(sequence: 1))
        let fullTime = ContinuousClock.now - fullStart
        let changes = (0..<n).map {
            SnapshotEntry(subjectKey: Self.key($0 * 2), record: Demo.record(.homeObservation))
        }
        let start = ContinuousClock.now
        try store.apply(
            SnapshotDelta(
                fromSequence: 1, metadata: Demo.metadata(sequence: 2), upserts: Array(changes.prefix(n / 2 + n / 4)),
                deletions: (0..<(n / 4)).map { Self.key($0 * 2 + 1) }))
        let elapsed = ContinuousClock.now - start
        print("MEASURE full install of \(n) records: \(fullTime); delta of \(n) changes (75% upserts, 25% deletes): \(elapsed)")
        #expect(try store.metadata()?.sequence == 2)
    }

    /// A lookup answered 409 (the centre rotated the key epoch) makes the running sync fetch the new manifest at
    /// once, not at its next scheduled time (the interval here is the default 5 minutes).
    @Test func anEpochMismatchOnALookupSyncsAtOnce() async throws {
        let created = self.created
        try await withPublishedFull(sequence: 20, records: 10) { central, h, publisher, full in
            let service = Task { try await h.sync.run() }
            defer { service.cancel() }
            try await Self.eventually { try h.store.metadata()?.sequence == 20 }
            #expect(h.sync.configuration.interval >= .seconds(60))

            let rotated = EpochKey(epoch: 8, bytes: Array(repeating: 0x08, count: 32))
            let next = try TestPublisher.payload(
                kind: .full, epoch: 8, sequence: 21, createdAt: created.addingTimeInterval(60),
                entries: Self.upserts(0..<10, .homeObservation, epochKey: rotated))
            try publisher.publish(
                on: central, epochKey: rotated, sequence: 21, createdAt: created.addingTimeInterval(60), full: next,
                records: 10)
            central.update { $0.lookupMode = .status(409) }
            await #expect(throws: CentralClientError(.epochMismatch, operation: "")) {
                _ = try await h.client.lookup(keys: [Self.key(1)], epoch: 7)
            }
            try await Self.eventually { try h.store.metadata()?.epochKey == rotated }
            #expect(try h.store.status(for: [Self.key(1, epochKey: rotated)])?.1.status == .homeObservation)
        }
    }

    @Test func syncTriggerRemembersARequestAndTimesOut() async throws {
        let trigger = SyncTrigger()
        #expect(try await trigger.wait(upTo: .milliseconds(20)) == false)
        trigger.request()
        #expect(try await trigger.wait(upTo: .seconds(30)) == true)
        #expect(try await trigger.wait(upTo: .milliseconds(20)) == false)
        let waiting = Task { try await trigger.wait(upTo: .seconds(30)) }
        try await Task.sleep(for: .milliseconds(50))
        trigger.request()
        #expect(try await waiting.value == true)
    }

    /// Polls `condition` every 20 ms until it holds; fails after 10 s (a hang, not a speed limit).
    static func eventually(_ condition: () throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if try condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("condition not met within 10 s")
    }
}