import Foundation
import KioskCore
import NIOSSL
import Testing

@testable import Resolution

/// The kiosk talks to the centre over real TLS (a self-signed certificate made by `openssl` for 127.0.0.1, served
/// by Hummingbird with NIOSSL): pinned to that certificate, lookups are answered online; pinned to another, or
/// trusting only the system roots, the handshake fails and the tap is answered from the snapshot.
@Suite struct CentralTLSTests {
    struct Certificate {
        var certificatePEM: String
        var keyPEM: String
    }

    /// A fresh self-signed P-256 certificate for IP 127.0.0.1, valid 2 days.
    static func makeCertificate(in dir: TemporaryDirectory, name: String) throws -> Certificate {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", dir.path("\(name).key"), "-out", dir.path("\(name).crt"), "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "openssl req failed")
        return Certificate(
            certificatePEM: try String(contentsOfFile: dir.path("\(name).crt"), encoding: .utf8),
            keyPEM: try String(contentsOfFile: dir.path("\(name).key"), encoding: .utf8))
    }

    func client(_ baseURL: String, pinned: String?, deadline: Duration) throws -> CentralClient {
        try CentralClient(
            configuration: CentralClientConfiguration(
                baseURL: baseURL, token: FakeCentral.token, kioskID: "kiosk-test", venueID: "venue-test",
                lookupDeadline: deadline, pinnedCertificatePEM: pinned.map { Array($0.utf8) }),
            logger: OnlineResolverTests.logger)
    }

    @Test func pinnedCertificateIsAnsweredOnlineAnyOtherFallsBackToTheSnapshot() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let server = try Self.makeCertificate(in: dir, name: "server")
        let other = try Self.makeCertificate(in: dir, name: "other")
        let store = try OnlineResolverTests.demoStore(dir)
        let identity = OnlineResolverTests().idIdentity
        let key = SubjectKey(identity: identity, epochKey: Demo.epochKey)
        let central = FakeCentral()
        central.update { $0.records[key] = FakeCentral.recordJSON(.homeObservation) }
        let tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(server.certificatePEM.utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(server.keyPEM.utf8), format: .pem)))
        let now = Demo.createdAt.addingTimeInterval(3600)
        try await central.run(tls: tls) { baseURL in
            #expect(baseURL.hasPrefix("https://"))
            for (pin, online) in [(server.certificatePEM, true), (other.certificatePEM, false), (nil, false)] {
                let client = try client(baseURL, pinned: pin, deadline: online ? .seconds(5) : .seconds(1))
                let resolver = Resolver(
                    snapshot: store, central: client, policy: Resolver.Policy(onlineRetryAfterFailure: .zero),
                    logger: OnlineResolverTests.logger)
                let tap = await resolver.resolveTap([identity], now: now)
                try await client.shutdown()
                if online {
                    #expect(tap.resolution.provenance == .online)
                    #expect(tap.resolution.resultCode == "homeObservation")  // the centre's answer
                } else {
                    // The handshake fails; AsyncHTTPClient retries the connection until the deadline, so the
                    // failure surfaces as a connection error or as the deadline.
                    let reason = pin == nil ? "system roots" : "other"
                    #expect(tap.fallback == .failed(.connection) || tap.fallback == .failed(.timeout), "\(reason)")
                    #expect(tap.resolution.provenance == .snapshot(sequence: 12, asOf: Demo.createdAt))
                }
            }
            // Only the pinned client's request reached the server.
            #expect(central.read { $0.requests.filter { $0.path.hasPrefix("/v1/status/lookup") }.count } == 1)
        }
    }
}
