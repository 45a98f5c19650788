import CentralServer
import Crypto
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// The reference central service (`CentralServer`) for the tests that put a kiosk in front of it: on 127.0.0.1 port
/// 0 with its SQLite database in a directory of the test's, a people file imported, one device token, run in a
/// `ServiceGroup` (DESIGN.md §6).
struct ReferenceCentral: Sendable {
    /// The port it listens on.
    let port: Int
    /// The public half of its manifest signing key, base64: the kiosk's `public_key`.
    let publicKeyBase64: String
    /// Its service group: ``stop()`` ends the centre while the kiosk still runs.
    let group: ServiceGroup

    /// `http://127.0.0.1:<port>`.
    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Stops the centre (graceful shutdown); the kiosk in front of it finds nobody listening.
    func stop() async { await group.triggerGracefulShutdown() }

    /// Starts the centre with `people` (a people file, JSON) imported and `token` for `kiosk`, its database in
    /// `directory` (`central.sqlite`; by default a temporary directory removed afterwards), runs `body` once it
    /// listens, then stops it and waits for it to end.
    static func with(
        token: String, kiosk: String, people: String, databaseIn directory: URL? = nil,
        logLabel: String = "central.test", _ body: (ReferenceCentral) async throws -> Void
    ) async throws {
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("central-\(UUID())")
        let directory = directory ?? temporary
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: temporary) }
        let signingKey = Curve25519.Signing.PrivateKey()
        let configuration = CentralConfiguration(
            databasePath: directory.appendingPathComponent("central.sqlite").path, signingKey: signingKey,
            deviceTokens: [token: kiosk], host: "127.0.0.1", port: 0)
        let store = try CentralStore(path: configuration.databasePath, deltaRetentionSeconds: 86400)
        try store.importPeople(data: Data(people.utf8), now: Date(), timeZone: TimeZone(identifier: "UTC")!)
        let port = Mutex<Int?>(nil)
        var logger = Logger(label: logLabel)
        logger.logLevel = .warning
        let app = try makeCentralApplication(configuration: configuration, store: store, logger: logger) { bound in
            port.withLock { $0 = bound }
        }
        let group = ServiceGroup(services: [app], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            // Listening within 10 s (a "does not hang" bound).
            var bound: Int?
            for _ in 0..<1000 where bound == nil {
                bound = port.withLock { $0 }
                if bound == nil { try await Task.sleep(for: .milliseconds(10)) }
            }
            do {
                let central = ReferenceCentral(
                    port: try #require(bound),
                    publicKeyBase64: signingKey.publicKey.rawRepresentation.base64EncodedString(), group: group)
                try await body(central)
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
