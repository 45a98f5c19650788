import Foundation
import KioskCore
import Logging
import NIOSSL
import Testing

@testable import Resolution

/// The resolver against a real HTTP server on 127.0.0.1: online first, each failure → the snapshot, with the
/// provenance and fallback reason that say which.
@Suite struct OnlineResolverTests {
    static let logger = Logger(label: "test.online", factory: { _ in SwiftLogNoOpLogHandler() })
    let idIdentity = Demo.identity(.residentID, Demo.idNumber, name: Demo.name)
    let panIdentity = Demo.identity(.bankCardPAN, Demo.pan)
    var idKey: SubjectKey { SubjectKey(identity: idIdentity, epochKey: Demo.epochKey) }
    var panKey: SubjectKey { SubjectKey(identity: panIdentity, epochKey: Demo.epochKey) }
    let now = Demo.createdAt.addingTimeInterval(3600)

    static func client(
        _ baseURL: String, deadline: Duration = .seconds(10), localClock: @escaping @Sendable () -> Date = { Date() }
    ) throws -> CentralClient {
        try CentralClient(
            configuration: CentralClientConfiguration(
                baseURL: baseURL, token: FakeCentral.token, kioskID: "kiosk-test", venueID: "venue-test",
                lookupDeadline: deadline),
            logger: logger, localClock: localClock)
    }

    /// A store with the demo people file (epoch 7, sequence 12, created at Demo.createdAt).
    static func demoStore(_ dir: TemporaryDirectory) throws -> SnapshotStore {
        let store = try SnapshotStore(path: dir.path("snapshot.sqlite"))
        try SnapshotImporter.importPeople(
            file: try dir.write(Demo.peopleFile, to: "people.json"), into: store, now: Demo.createdAt)
        return store
    }

    /// Runs `body` with a resolver on the demo snapshot and a client of a fresh fake central.
    func withResolver(
        policy: Resolver.Policy = Resolver.Policy(onlineRetryAfterFailure: .zero),
        // Generous: a loaded 2-core CI machine running the whole suite has taken over 1.5 s for a loopback answer.
        deadline: Duration = .seconds(10),
        localClock: @escaping @Sendable () -> Date = { Date() },
        _ body: @Sendable (FakeCentral, Resolver) async throws -> Void
    ) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try Self.demoStore(dir)
        let central = FakeCentral()
        central.update { $0.records[idKey] = FakeCentral.recordJSON(.homeObservation) }
        try await central.run { baseURL in
            let client = try Self.client(baseURL, deadline: deadline, localClock: localClock)
            do {
                try await body(central, Resolver(snapshot: store, central: client, policy: policy, logger: Self.logger))
            } catch {
                try await client.shutdown()
                throw error
            }
            try await client.shutdown()
        }
    }

    @Test func onlineAnswerForTheStrongestKnownKeyInOneRequest() async throws {
        let idKey = self.idKey, panKey = self.panKey, now = self.now
        try await withResolver { central, resolver in
            let tap = await resolver.resolveTap([panIdentity, idIdentity], now: now)
            #expect(tap.resolution.provenance == .online)
            #expect(tap.fallback == nil)
            guard case .found(let record, let matched) = tap.resolution.outcome else {
                Issue.record("expected found, got \(tap.resolution.outcome)")
                return
            }
            // The centre says homeObservation; the snapshot says normal: the online answer wins.
            #expect(record.status == .homeObservation)
            #expect(record.popup?.code == 2)
            #expect(record.vaccination?.lastDose == CalendarDate(year: 2022, month: 1, day: 10))
            #expect(matched == idKey)
            #expect(tap.visitKey == idKey)
            #expect(tap.epoch == 7)

            let lookups = central.read { $0.requests.filter { $0.path.hasPrefix("/v1/status/lookup") } }
            #expect(lookups.count == 1)
            let body = try #require(lookups.first).body
            #expect(String(decoding: body, as: UTF8.self).contains(#""epoch":7"#))
            let keys = try JSONDecoder().decode(LookupBody.self, from: body).subjects.map(\.key)
            #expect(keys == [idKey, panKey])  // strongest first, one request
            #expect(lookups[0].headers["kiosk-id"] == "kiosk-test")
            #expect(lookups[0].headers["venue-id"] == "venue-test")
            #expect(lookups[0].headers["authorization"] == "Bearer \(FakeCentral.token)")
        }
    }

    struct LookupBody: Decodable {
        struct S: Decodable { var key: SubjectKey }
        var epoch: Int
        var subjects: [S]
    }

    @Test func unknownOnlineIsUnknownWithOnlineProvenance() async throws {
        let now = self.now
        try await withResolver { _, resolver in
            let stranger = Demo.identity(.residentID, "440306195208087715")
            let tap = await resolver.resolveTap([stranger], now: now)
            #expect(tap.resolution.outcome == .unknownPerson)
            #expect(tap.resolution.provenance == .online)
            #expect(tap.visitKey == SubjectKey(identity: stranger, epochKey: Demo.epochKey))
        }
    }

    static let faults: [(String, FakeCentral.LookupMode, CentralClientError.Code)] = [
        ("500", .status(500), .serverError),
        ("503", .status(503), .serverError),
        ("409 epoch", .status(409), .epochMismatch),
        ("garbage", .body("<html>oops"), .malformedAnswer),
        ("wrong shape", .body(#"{"epoch":7,"results":"none"}"#), .malformedAnswer),
        ("bad key", .body(#"{"epoch":7,"results":[{"key":"zz"}]}"#), .malformedAnswer),
        ("other epoch", .body(#"{"epoch":8,"results":[]}"#), .malformedAnswer),
        ("slow", .delay(.seconds(8)), .timeout),
    ]

    @Test(arguments: faults)
    func eachFailureFallsBackToTheSnapshot(name: String, mode: FakeCentral.LookupMode, code: CentralClientError.Code)
        async throws
    {
        let now = self.now
        // The slow server answers after 8 s; the others at once. Only the slow case needs a short deadline.
        let deadline: Duration = if case .delay = mode { .seconds(3) } else { .seconds(10) }
        try await withResolver(deadline: deadline) { central, resolver in
            central.update { $0.lookupMode = mode }
            let started = ContinuousClock.now
            let tap = await resolver.resolveTap([idIdentity], now: now)
            let elapsed = ContinuousClock.now - started
            #expect(tap.fallback == .failed(code), "\(name)")
            #expect(tap.resolution.provenance == .snapshot(sequence: 12, asOf: Demo.createdAt), "\(name)")
            #expect(tap.resolution.resultCode == "normal", "\(name)")  // the snapshot's answer
            // Not a speed assertion (timers fire late on a loaded 2-core machine running the whole suite): it only
            // catches a lookup that waits for the server instead of its deadline.
            #expect(elapsed < .seconds(15), "\(name): \(elapsed)")
        }
    }

    @Test func serverDownFallsBackAndBacksOff() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try Self.demoStore(dir)
        // Nothing listens on port 1: connection refused.
        let client = try Self.client("http://127.0.0.1:1", deadline: .milliseconds(300))
        let resolver = Resolver(snapshot: store, central: client, logger: Self.logger)
        let started = ContinuousClock.now
        let first = await resolver.resolveTap([idIdentity], now: now)
        #expect(ContinuousClock.now - started < .seconds(10), "bounded by the deadline, not by connection retries")
        #expect(first.fallback == .failed(.connection) || first.fallback == .failed(.timeout))
        #expect(first.resolution.provenance == .snapshot(sequence: 12, asOf: Demo.createdAt))
        // The next tap does not wait for the dead centre again.
        let again = await resolver.resolveTap([idIdentity], now: now)
        #expect(again.fallback == .backingOff, "no request was sent")
        try await client.shutdown()
    }

    @Test func expiredSnapshotWhileOfflineCannotVerify() async throws {
        try await withResolver { central, resolver in
            central.update { $0.lookupMode = .status(500) }
            let tap = await resolver.resolveTap([idIdentity], now: Demo.createdAt.addingTimeInterval(49 * 3600))
            #expect(tap.resolution.provenance == .cannotVerify(reason: .snapshotTooOld))
            #expect(tap.resolution.outcome == .cannotVerify)
            #expect(tap.visitKey == nil)
        }
    }

    @Test func manifestMaxAgeIsCappedByTheLocalCeiling() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SnapshotStore(path: dir.path("s.sqlite"))
        let key = SubjectKey(identity: idIdentity, epochKey: Demo.epochKey)
        var metadata = Demo.metadata(sequence: 3)
        metadata.maxAgeSeconds = 6 * 3600
        try store.replaceAll(records: [SnapshotEntry(subjectKey: key, record: Demo.record(.normal))], metadata: metadata)
        let resolver = Resolver(snapshot: store, policy: .init(maximumAge: .seconds(48 * 3600)), logger: Self.logger)
        #expect(resolver.resolveOffline([idIdentity], now: Demo.createdAt.addingTimeInterval(5 * 3600)).resultCode == "normal")
        #expect(
            resolver.resolveOffline([idIdentity], now: Demo.createdAt.addingTimeInterval(7 * 3600)).provenance
                == .cannotVerify(reason: .snapshotTooOld))
        // The local ceiling wins when it is shorter than the manifest's validity.
        let strict = Resolver(snapshot: store, policy: .init(maximumAge: .seconds(3600)), logger: Self.logger)
        #expect(
            strict.resolveOffline([idIdentity], now: Demo.createdAt.addingTimeInterval(2 * 3600)).provenance
                == .cannotVerify(reason: .snapshotTooOld))
    }

    @Test func clockBehindTheSnapshotCannotVerifyEvenOnline() async throws {
        try await withResolver { central, resolver in
            let tap = await resolver.resolveTap([idIdentity], now: Demo.createdAt.addingTimeInterval(-24 * 3600))
            #expect(tap.resolution.provenance == .cannotVerify(reason: .clockBehindSnapshot))
            #expect(tap.fallback == .clockBehindSnapshot)
            #expect(central.read { $0.requests.isEmpty })  // nothing sent
        }
    }

    @Test func skewedLocalClockIsReportedAndCannotKeepAStaleSnapshotGreen() async throws {
        // The kiosk's wall clock is 3 h behind the centre's `Date`.
        try await withResolver(localClock: { Date().addingTimeInterval(-3 * 3600) }) { central, resolver in
            let online = await resolver.resolveTap([idIdentity], now: Demo.createdAt.addingTimeInterval(46 * 3600))
            #expect(online.resolution.provenance == .online)
            let skew = try #require(online.clockSkew)
            #expect(abs(skew + 3 * 3600) < 5)

            // Offline at a local age of 46 h: 49 h on the centre's clock, past the 48 h limit.
            central.update { $0.lookupMode = .status(500) }
            let offline = await resolver.resolveTap([idIdentity], now: Demo.createdAt.addingTimeInterval(46 * 3600))
            #expect(offline.fallback == .failed(.serverError))
            #expect(offline.resolution.provenance == .cannotVerify(reason: .snapshotTooOld))
            // A fresh snapshot still answers.
            let fresh = await resolver.resolveTap([idIdentity], now: Demo.createdAt.addingTimeInterval(3600))
            #expect(fresh.resolution.provenance == .snapshot(sequence: 12, asOf: Demo.createdAt))
        }
    }

    @Test func noSnapshotMeansNoOnlineLookup() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SnapshotStore(path: dir.path("empty.sqlite"))
        let central = FakeCentral()
        let identity = idIdentity
        try await central.run { baseURL in
            let client = try Self.client(baseURL)
            let tap = await Resolver(snapshot: store, central: client, logger: Self.logger)
                .resolveTap([identity], now: Date())
            #expect(tap.resolution.provenance == .cannotVerify(reason: .noData))
            #expect(tap.fallback == .noEpochKey)
            try await client.shutdown()
        }
    }

    @Test func httpDateParsing() {
        #expect(
            ServerClockSample.parseHTTPDate("Sun, 06 Nov 1994 08:49:37 GMT")
                == Date(timeIntervalSince1970: 784_111_777))
        #expect(ServerClockSample.parseHTTPDate("Sunday, 06-Nov-94 08:49:37 GMT") == nil)
        #expect(ServerClockSample.parseHTTPDate("garbage") == nil)
    }

    @Test func pinnedCertificateBecomesTheOnlyTrustRoot() throws {
        var configuration = CentralClientConfiguration(baseURL: "https://x", token: "t", kioskID: "k", venueID: "v")
        let system = try configuration.makeTLSConfiguration()
        #expect(system.trustRoots == nil || system.trustRoots == .default)
        configuration.pinnedCertificatePEM = Array(Self.testCertificatePEM.utf8)
        let pinned = try configuration.makeTLSConfiguration()
        guard case .certificates(let certificates) = pinned.trustRoots else {
            Issue.record("expected the pinned certificate as trust root")
            return
        }
        #expect(certificates.count == 1)
        #expect(pinned.additionalTrustRoots.isEmpty)
        configuration.pinnedCertificatePEM = Array("not a certificate".utf8)
        #expect(throws: (any Error).self) { try configuration.makeTLSConfiguration() }
    }

    /// A self-signed test certificate (CN=kiosk-central.test), only parsed, never used to serve.
    static let testCertificatePEM = """
        -----BEGIN CERTIFICATE-----
        MIIBjjCCATWgAwIBAgIUJ4aK9RFswtzIrz/9704tt50OXqcwCgYIKoZIzj0EAwIw
        HTEbMBkGA1UEAwwSa2lvc2stY2VudHJhbC50ZXN0MB4XDTI2MTEyOTE1MzQ0OVoX
        DTM2MTEyNjE1MzQ0OVowHTEbMBkGA1UEAwwSa2lvc2stY2VudHJhbC50ZXN0MFkw
        EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAENaQYFkHGYSsMWPomZXMqW0Koe5o17Lgz
        6Jk3x5Go9Mptm91JXQJSJ3m2JHb98As7TceFU3ui+4v2Xe/ZASM6oKNTMFEwHQYD
        VR0OBBYEFI9NzoNY4Cvhjkgz1UxvOPGDwQ7OMB8GA1UdIwQYMBaAFI9NzoNY4Cvh
        jkgz1UxvOPGDwQ7OMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDRwAwRAIg
        flHr5980jI/nTLAMtEZGXHfMsYcmdAXyAJSANT7jPt4CICSGa6VvEQYiEnhcHDSr
        Lgi5JNrLETJoSYDuoVWdfkoZ
        -----END CERTIFICATE-----
        """
}
