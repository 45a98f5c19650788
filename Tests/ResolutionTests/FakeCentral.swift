import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTLS
import NIOSSL
import KioskCore
import Logging
import NIOCore
import Resolution
import ServiceLifecycle
import Synchronization

/// A central service for the kiosk-side tests, on a real Hummingbird server on 127.0.0.1 port 0, speaking the
/// contract (openapi/kiosk-central.yaml) with faults on demand: slow or failing lookups, garbage bodies, cut
/// downloads, failing visit uploads. Every request's path, headers and body are captured for the privacy test.
final class FakeCentral: Sendable {
    enum LookupMode: Sendable {
        case normal
        case delay(Duration)
        case status(Int)
        case body(String)
    }

    struct Captured: Sendable {
        var path: String
        var headers: [String: String]
        var body: Data
    }

    struct State: Sendable {
        var epoch = 7
        var records: [SubjectKey: String] = [:]  // key → wire JSON of the record
        var lookupMode = LookupMode.normal
        var manifest: Data?
        var payloads: [String: Data] = [:]
        /// Cut the next download of a payload after this many bytes of the body.
        var cutAfter: Int?
        var visits: [String: Data] = [:]
        var visitPosts = 0
        var failVisitPosts = 0
        var requests: [Captured] = []
        var rangeRequests: [String] = []
    }

    let state = Mutex(State())
    static let token = "test-token-0001"

    func update(_ body: (inout State) -> Void) { state.withLock { body(&$0) } }
    func read<T>(_ body: (State) -> T) -> T { state.withLock { body($0) } }

    // MARK: - Server

    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/v1/status/lookup") { request, _ in try await self.lookup(request) }
        router.get("/v1/snapshots/manifest") { request, _ in try await self.manifest(request) }
        router.get("/v1/snapshots/payloads/:sha256") { request, context in
            try await self.payload(request, sha256: context.parameters.get("sha256") ?? "")
        }
        router.post("/v1/visits") { request, _ in try await self.visits(request) }
        return router
    }

    private func capture(_ request: Request) async throws -> Data {
        let buffer = try await request.body.collect(upTo: 1 << 22)
        let body = Data(buffer.readableBytesView)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        update { $0.requests.append(Captured(path: request.uri.description, headers: headers, body: body)) }
        return body
    }

    private func authorized(_ request: Request) -> Bool {
        request.headers[.authorization] == "Bearer \(Self.token)"
            && request.headers[HTTPField.Name("Kiosk-ID")!] != nil
            && request.headers[HTTPField.Name("Venue-ID")!] != nil
    }

    private static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    private func lookup(_ request: Request) async throws -> Response {
        let body = try await capture(request)
        guard authorized(request) else { return Self.json("{}", status: .unauthorized) }
        switch read(\.lookupMode) {
        case .normal: break
        case .delay(let duration): try await Task.sleep(for: duration)
        case .status(let code): return Self.json(#"{"title":"fault"}"#, status: .init(code: code))
        case .body(let text): return Self.json(text)
        }
        struct Wire: Decodable {
            struct Subject: Decodable { var key: SubjectKey }
            var epoch: Int
            var subjects: [Subject]
        }
        let wire = try JSONDecoder().decode(Wire.self, from: body)
        let (epoch, records) = read { ($0.epoch, $0.records) }
        guard wire.epoch == epoch else { return Self.json(#"{"title":"epoch"}"#, status: .conflict) }
        let results = wire.subjects.map { subject in
            records[subject.key].map { #"{"key":"\#(subject.key.hex)","record":\#($0)}"# }
                ?? #"{"key":"\#(subject.key.hex)"}"#
        }
        return Self.json(#"{"epoch":\#(epoch),"results":[\#(results.joined(separator: ","))]}"#)
    }

    private func manifest(_ request: Request) async throws -> Response {
        _ = try await capture(request)
        guard authorized(request) else { return Self.json("{}", status: .unauthorized) }
        guard let manifest = read(\.manifest) else { return Self.json("{}", status: .notFound) }
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: manifest)))
    }

    private func payload(_ request: Request, sha256: String) async throws -> Response {
        _ = try await capture(request)
        guard authorized(request) else { return Self.json("{}", status: .unauthorized) }
        guard let data = read({ $0.payloads[sha256] }) else { return Self.json("{}", status: .notFound) }
        var start = 0
        var status = HTTPResponse.Status.ok
        if let range = request.headers[.range] {
            update { $0.rangeRequests.append(range) }
            guard range.hasPrefix("bytes="), range.hasSuffix("-"), let from = Int(range.dropFirst(6).dropLast()),
                from <= data.count
            else { return Self.json("{}", status: .rangeNotSatisfiable) }
            if from == data.count { return Self.json("{}", status: .rangeNotSatisfiable) }
            start = from
            status = .partialContent
        }
        let slice = data[(data.startIndex + start)...]
        let cut: Int? = state.withLock { state in
            defer { state.cutAfter = nil }
            return state.cutAfter
        }
        var headers: HTTPFields = [.contentType: "application/octet-stream", .contentLength: "\(slice.count)"]
        if status == .partialContent { headers[.contentRange] = "bytes \(start)-\(data.count - 1)/\(data.count)" }
        guard let cut, cut < slice.count else {
            return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: slice)))
        }
        let prefix = ByteBuffer(bytes: slice.prefix(cut))
        return Response(
            status: status, headers: headers,
            body: ResponseBody { writer in
                try await writer.write(prefix)
                throw CutConnection()
            })
    }

    struct CutConnection: Error {}

    private func visits(_ request: Request) async throws -> Response {
        let body = try await capture(request)
        guard authorized(request) else { return Self.json("{}", status: .unauthorized) }
        let fail = state.withLock { state in
            state.visitPosts += 1
            if state.failVisitPosts > 0 {
                state.failVisitPosts -= 1
                return true
            }
            return false
        }
        if fail { return Self.json(#"{"title":"down"}"#, status: .serviceUnavailable) }
        struct Batch: Decodable {
            struct V: Decodable { var id: String }
            var visits: [V]
        }
        let batch = try JSONDecoder().decode(Batch.self, from: body)
        var accepted = 0
        var duplicates = 0
        update { state in
            for visit in batch.visits {
                if state.visits[visit.id] == nil {
                    state.visits[visit.id] = body
                    accepted += 1
                } else {
                    duplicates += 1
                }
            }
        }
        return Self.json(#"{"accepted":\#(accepted),"duplicates":\#(duplicates)}"#)
    }

    // MARK: - Running

    static let quiet = Logger(label: "test.central", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Runs the server for the duration of `body` (ServiceGroup in a task group, awaiting the bound port, graceful
    /// shutdown after), like Hummingbird's live test framework.
    /// With `tls`, the server speaks HTTPS and `baseURL` is `https://127.0.0.1:PORT`.
    func run<T: Sendable>(
        tls: TLSConfiguration? = nil, _ body: @Sendable (_ baseURL: String) async throws -> T
    ) async throws -> T {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: makeRouter(),
            server: try tls.map { try .tls(.http1(), tlsConfiguration: $0) } ?? .http1(),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) },
            logger: Self.quiet)
        let group = ServiceGroup(configuration: .init(services: [app], logger: Self.quiet))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = await iterator.next() ?? 0
            do {
                let result = try await body("\(tls == nil ? "http" : "https")://127.0.0.1:\(port)")
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }

    // MARK: - Content

    /// Wire JSON of a record with just a status.
    static func recordJSON(_ status: HealthStatus, updatedAt: String = "2026-11-29T07:00:00Z") -> String {
        #"{"status":"\#(status.rawValue)","updatedAt":"\#(updatedAt)","popup":{"code":2},"nat":{"sampledAt":"2026-11-28T12:00:00Z","result":"negative"},"vaccination":{"doses":3,"lastDose":"2022-01-10"},"commuterUntil":"2026-12-10"}"#
    }
}

/// A signing key and helpers to publish snapshots on a ``FakeCentral``.
struct TestPublisher {
    let signingKey = Curve25519.Signing.PrivateKey()
    var publicKeyBase64: String { signingKey.publicKey.rawRepresentation.base64EncodedString() }

    /// Builds a payload of `entries` (sorted here) and returns its bytes and reference.
    static func payload(
        kind: SnapshotPayloadHeader.Kind, epoch: Int, sequence: Int, from: Int = 0, createdAt: Date,
        entries: [SnapshotPayloadEntry]
    ) throws -> (Data, PayloadReference) {
        let sorted = entries.sorted { $0.key < $1.key }
        let bytes = try SnapshotPayload(
            header: SnapshotPayloadHeader(
                kind: kind, epoch: epoch, sequence: sequence, fromSequence: from, createdAt: createdAt,
                entryCount: sorted.count),
            entries: sorted
        ).encoded()
        let sha = SnapshotPayload.sha256Hex(of: bytes)
        return (
            Data(bytes),
            PayloadReference(
                url: "/v1/snapshots/payloads/\(sha)", sha256: sha, bytes: bytes.count,
                fromSequence: kind == .delta ? from : nil)
        )
    }

    /// Publishes a manifest (signed with this key, or with `badKey`) and its payloads on `central`.
    func publish(
        on central: FakeCentral, epochKey: EpochKey, sequence: Int, createdAt: Date, maxAgeSeconds: Int = 48 * 3600,
        full: (Data, PayloadReference), delta: (Data, PayloadReference)? = nil, records: Int,
        signWith badKey: Curve25519.Signing.PrivateKey? = nil
    ) throws {
        let manifest = SnapshotManifest(
            epochKey: epochKey, sequence: sequence, createdAt: createdAt, maxAgeSeconds: maxAgeSeconds,
            records: records, full: full.1, delta: delta?.1
        ).signed(with: badKey ?? signingKey)
        let json = try JSONEncoder().encode(manifest)
        central.update { state in
            state.epoch = epochKey.epoch
            state.manifest = json
            state.payloads[full.1.sha256] = full.0
            if let delta { state.payloads[delta.1.sha256] = delta.0 }
        }
    }
}
