import AsyncHTTPClient
import CentralServer
import Crypto
import Foundation
import KioskCore
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Testing

@Suite("Central service, live on 127.0.0.1")
struct CentralLiveTests {
    /// Runs the real server on port 0 in a ServiceGroup, awaits the bound port, talks to it with AsyncHTTPClient,
    /// then shuts it down gracefully (like Hummingbird's LiveTestFramework).
    @Test func servesOverTCPAndShutsDownGracefully() async throws {
        let harness = try CentralHarness(port: 0)
        try harness.importPeople([.zhang, .li])
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = try makeCentralApplication(
            configuration: harness.configuration, store: harness.store, logger: Logger(label: "live-test")
        ) { port in portContinuation.yield(port) }
        let group = ServiceGroup(services: [app], logger: Logger(label: "live-test"))

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            #expect(port > 0)

            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            do {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/snapshots/manifest")
                request.headers.add(name: "Authorization", value: "Bearer \(CentralHarness.token)")
                request.headers.add(name: "Kiosk-ID", value: CentralHarness.kioskID)
                request.headers.add(name: "Venue-ID", value: "venue-7")
                let response = try await client.execute(request, timeout: .seconds(10))
                #expect(response.status == .ok)
                #expect(response.headers.first(name: "Date") != nil)
                let body = try await response.body.collect(upTo: 1 << 20)
                let manifest = try JSONDecoder().decode(SnapshotManifest.self, from: Data(body.readableBytesView))
                try manifest.verify(publicKey: harness.signingKey.publicKey)
                #expect(manifest.records == 3)

                var partial = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(manifest.full.url)")
                partial.headers = request.headers
                partial.headers.add(name: "Range", value: "bytes=45-")
                let ranged = try await client.execute(partial, timeout: .seconds(10))
                #expect(ranged.status == .partialContent)
                let tail = try await ranged.body.collect(upTo: 1 << 20)
                #expect(tail.readableBytes == manifest.full.bytes - 45)
            } catch {
                try? await client.shutdown()
                await group.triggerGracefulShutdown()
                throw error
            }
            try await client.shutdown()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
