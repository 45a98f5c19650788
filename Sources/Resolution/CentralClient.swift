import AsyncHTTPClient
public import Foundation
public import KioskCore
public import Logging
import NIOCore
import NIOHTTP1
public import NIOSSL
public import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// How to reach the central service (DESIGN.md §5).
public struct CentralClientConfiguration: Sendable {
    /// Scheme, host and port, e.g. `https://central.example.org` or `http://127.0.0.1:8080`; no trailing path.
    public var baseURL: String
    /// The per-kiosk bearer token. Never logged.
    public var token: String
    /// Sent as `Kiosk-ID` on every request.
    public var kioskID: String
    /// Sent as `Venue-ID` on every request.
    public var venueID: String
    /// The whole of one lookup (connect, send, answer) must fit in this. Default 800 ms (DESIGN.md §1 step 4).
    public var lookupDeadline: Duration
    /// Deadline of a manifest fetch or a visit upload. Default 30 s.
    public var requestDeadline: Duration
    /// Deadline of one payload download attempt (a resumed attempt gets a new one). Default 10 min.
    public var payloadDeadline: Duration
    /// A PEM certificate to trust instead of the system roots (pinning): the centre's certificate or its private
    /// CA. `nil` uses the system trust store.
    public var pinnedCertificatePEM: [UInt8]?

    public init(
        baseURL: String, token: String, kioskID: String, venueID: String,
        lookupDeadline: Duration = .milliseconds(800), requestDeadline: Duration = .seconds(30),
        payloadDeadline: Duration = .seconds(600), pinnedCertificatePEM: [UInt8]? = nil
    ) {
        self.baseURL = baseURL
        self.token = token
        self.kioskID = kioskID
        self.venueID = venueID
        self.lookupDeadline = lookupDeadline
        self.requestDeadline = requestDeadline
        self.payloadDeadline = payloadDeadline
        self.pinnedCertificatePEM = pinnedCertificatePEM
    }

    /// The TLS configuration: system roots, or the pinned certificate as the only trust root.
    /// - Throws: the NIOSSL error when the PEM does not hold a certificate.
    public func makeTLSConfiguration() throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let pem = pinnedCertificatePEM {
            let certificates = try NIOSSLCertificate.fromPEMBytes(pem)
            guard !certificates.isEmpty else { throw NIOSSLError.failedToLoadCertificate }
            tls.trustRoots = .certificates(certificates)
            tls.additionalTrustRoots = []
        }
        tls.minimumTLSVersion = .tlsv12
        return tls
    }
}

/// The kiosk's client of the central service, on one shared AsyncHTTPClient `HTTPClient` (DESIGN.md §5).
///
/// Every request carries `Authorization: Bearer <token>`, `Kiosk-ID` and `Venue-ID`. Every response's `Date` header
/// is kept as ``lastClockSample`` for the clock-skew check. Bodies hold subject keys only.
///
/// The client is a `Service`: run it in the service group *before* (so it stops *after*) the services that use it;
/// its `run()` waits for graceful shutdown and then shuts the HTTP client down. A client that is never run must be
/// shut down with ``shutdown()``.
public final class CentralClient: Service, Sendable {
    public let configuration: CentralClientConfiguration
    private let http: HTTPClient
    private let clock = Mutex<ServerClockSample?>(nil)
    private let logger: Logger
    private let localClock: @Sendable () -> Date

    /// Largest JSON answer accepted (a manifest or a lookup), 1 MiB.
    static let maximumJSONBytes = 1 << 20

    /// - Parameters:
    ///   - localClock: the kiosk's wall clock, read when a response arrives for ``lastClockSample`` (tests skew it).
    /// - Throws: the TLS configuration's error (a pinned certificate that does not parse).
    public init(
        configuration: CentralClientConfiguration, logger: Logger, localClock: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        self.configuration = configuration
        self.logger = logger
        self.localClock = localClock
        var http = HTTPClient.Configuration(
            tlsConfiguration: try configuration.makeTLSConfiguration(),
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(5), read: .seconds(30)))
        http.connectionPool.idleTimeout = .seconds(60)
        self.http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: http)
    }

    /// Waits for graceful shutdown (or cancellation), then shuts the HTTP client down.
    public func run() async throws {
        try? await gracefulShutdown()
        try await shutdown()
    }

    /// Shuts the HTTP client down; later calls fail with `connection`.
    public func shutdown() async throws {
        do { try await http.shutdown() } catch let error as HTTPClientError where error == .alreadyShutdown {}
    }

    /// The centre's clock as of the last response that had a `Date` header.
    public var lastClockSample: ServerClockSample? { clock.withLock { $0 } }

    /// Requested when a lookup is answered 409 (the key epoch rotated); ``SnapshotSync`` waits on it between its
    /// scheduled syncs, so the new manifest (and epoch key) is fetched at once.
    public let syncRequests = SyncTrigger()

    // MARK: - Lookup

    /// Asks the centre for the statuses of up to 4 subject keys of one epoch, within the lookup deadline.
    ///
    /// - Parameters:
    ///   - keys: 1 to 4 keys, strongest first (DESIGN.md §4); the answer keeps this order.
    ///   - epoch: the epoch the keys were derived in.
    /// - Returns: the answer, checked against the request: same epoch, one result per key, same keys in order.
    /// - Throws: ``CentralClientError``: `timeout`, `connection`, `serverError` (5xx), `epochMismatch` (409),
    ///   `unauthorized`, `rejected` (other statuses), `malformedAnswer`.
    public func lookup(keys: [SubjectKey], epoch: Int) async throws(CentralClientError) -> LookupAnswer {
        let operation = "POST /v1/status/lookup"
        precondition((1...4).contains(keys.count), "a lookup carries 1 to 4 subject keys")
        let body = try encode(CentralWire.LookupRequest(epoch: epoch, subjects: keys.map { .init(key: $0) }), operation)
        let data: Data
        do {
            data = try await send(
                "/v1/status/lookup", method: .POST, body: body, deadline: configuration.lookupDeadline,
                operation: operation)
        } catch {
            if error.code == .epochMismatch { syncRequests.request() }
            throw error
        }
        let response: CentralWire.LookupResponse = try decode(data, operation)
        guard response.epoch == epoch else {
            throw CentralClientError(.malformedAnswer, operation: operation, detail: "answer for another epoch")
        }
        guard response.results.map(\.key) == keys else {
            throw CentralClientError(.malformedAnswer, operation: operation, detail: "results do not match the keys")
        }
        do {
            return LookupAnswer(
                epoch: epoch,
                results: try response.results.map { .init(key: $0.key, record: try $0.record?.statusRecord()) })
        } catch {
            throw CentralClientError(.malformedAnswer, operation: operation, detail: "\(error)")
        }
    }

    // MARK: - Snapshots

    /// The manifest's JSON body (`GET /v1/snapshots/manifest?since=N`), unverified: the caller decodes it and
    /// checks its signature.
    public func manifestBody(since sequence: Int?) async throws(CentralClientError) -> Data {
        let path = sequence.map { "/v1/snapshots/manifest?since=\($0)" } ?? "/v1/snapshots/manifest"
        return try await send(
            path, method: .GET, body: nil, deadline: configuration.requestDeadline,
            operation: "GET /v1/snapshots/manifest")
    }

    /// Downloads a payload into `file`, resuming after the bytes already there.
    ///
    /// Sends `Range: bytes=N-` when `offset` is above 0; a `206` is appended at `offset`, a `200` (the server
    /// ignored the range) rewrites the file from the start. Bytes are written as they arrive, so an interrupted
    /// download leaves a usable prefix for the next attempt.
    ///
    /// - Parameters:
    ///   - path: the payload URL: a path on the centre (`/v1/snapshots/payloads/<sha256>`) or an absolute URL.
    ///   - offset: bytes of `file` already downloaded (its size; extra bytes are cut off).
    ///   - expectedBytes: the manifest's size; a `416` with a complete file counts as done.
    /// - Returns: the size of `file` afterwards.
    /// - Throws: ``CentralClientError`` (`connection` when cut mid-body, `timeout`, statuses); file-system errors
    ///   as ``CentralClientError/Code/storage``, the detail naming the file and the error (`cannot write snapshot
    ///   payload /var/lib/kiosk/partial-…: No space left on device (ENOSPC)`).
    @discardableResult
    public func downloadPayload(
        path: String, resumingFrom offset: Int64, expectedBytes: Int64?, to file: URL
    ) async throws(CentralClientError) -> Int64 {
        let operation = "GET payload"
        var request = makeRequest(path, method: .GET)
        if offset > 0 { request.headers.add(name: "Range", value: "bytes=\(offset)-") }
        do {
            let response = try await http.execute(
                request, deadline: .now() + .nanoseconds(Self.nanoseconds(configuration.payloadDeadline)),
                logger: logger)
            noteClock(response.headers)
            let start: Int64
            switch response.status.code {
            case 206: start = offset
            case 200: start = 0
            case 416 where expectedBytes != nil && offset == expectedBytes:
                return offset
            default:
                throw Self.statusError(response.status.code, operation: operation)
            }
            if !FileManager.default.fileExists(atPath: file.path) {
                _ = FileManager.default.createFile(atPath: file.path, contents: nil)
            }
            let handle = try Self.writing(file, operation) { try FileHandle(forWritingTo: file) }
            defer { try? handle.close() }
            try Self.writing(file, operation) {
                try handle.truncate(atOffset: UInt64(start))
                try handle.seek(toOffset: UInt64(start))
            }
            var written = start
            for try await chunk in response.body {
                try Self.writing(file, operation) { try handle.write(contentsOf: Data(chunk.readableBytesView)) }
                written += Int64(chunk.readableBytes)
                if let expectedBytes, written > expectedBytes {
                    throw CentralClientError(.malformedAnswer, operation: operation, detail: "payload longer than the manifest says")
                }
            }
            try Self.writing(file, operation) { try handle.synchronize() }
            return written
        } catch let error as CentralClientError {
            throw error
        } catch {
            throw Self.transportError(error, operation: operation)
        }
    }

    /// Runs a file operation of a payload download; its error becomes a ``CentralClientError/Code/storage`` error
    /// that says the file could not be written and why, not a connection failure.
    private static func writing<T>(
        _ file: URL, _ operation: String, _ body: () throws -> T
    ) throws(CentralClientError) -> T {
        do { return try body() } catch {
            throw CentralClientError(
                .storage, operation: operation,
                detail: "cannot write snapshot payload \(file.path): \(describeFileError(error))")
        }
    }

    /// A file-system error as `strerror` and the `errno` name (`No space left on device (ENOSPC)`), found in
    /// Foundation's error or the POSIX error under it; otherwise Foundation's own text.
    static func describeFileError(_ error: any Error) -> String {
        let error = error as NSError
        let posix = error.domain == NSPOSIXErrorDomain ? error : error.userInfo[NSUnderlyingErrorKey] as? NSError
        guard let posix, posix.domain == NSPOSIXErrorDomain, let code = POSIXErrorCode(rawValue: Int32(posix.code))
        else { return error.localizedDescription }
        return "\(String(cString: strerror(code.rawValue))) (\(code))"
    }

    // MARK: - Visits

    /// Uploads a batch of at most 500 visits (`POST /v1/visits`). Idempotent by visit id: a retry of the same batch
    /// is answered with `duplicates`.
    public func uploadVisits(_ visits: [Visit]) async throws(CentralClientError) -> VisitUploadReceipt {
        let operation = "POST /v1/visits"
        precondition(visits.count <= 500, "a visit batch holds at most 500 visits")
        let body = try encode(CentralWire.VisitBatch(visits), operation)
        let data = try await send(
            "/v1/visits", method: .POST, body: body, deadline: configuration.requestDeadline, operation: operation)
        let receipt: CentralWire.VisitReceipt = try decode(data, operation)
        guard receipt.accepted >= 0, receipt.duplicates >= 0, receipt.accepted + receipt.duplicates == visits.count
        else {
            throw CentralClientError(.malformedAnswer, operation: operation, detail: "counts do not add up to the batch")
        }
        return VisitUploadReceipt(accepted: receipt.accepted, duplicates: receipt.duplicates)
    }

    // MARK: - Plumbing

    private func makeRequest(_ path: String, method: HTTPMethod) -> HTTPClientRequest {
        let url = path.hasPrefix("http://") || path.hasPrefix("https://") ? path : configuration.baseURL + path
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(configuration.token)")
        request.headers.add(name: "Kiosk-ID", value: configuration.kioskID)
        request.headers.add(name: "Venue-ID", value: configuration.venueID)
        request.headers.add(name: "Accept", value: "application/json")
        return request
    }

    /// Sends a request and collects a 2xx JSON body, all within `deadline`.
    private func send(
        _ path: String, method: HTTPMethod, body: Data?, deadline: Duration, operation: String
    ) async throws(CentralClientError) -> Data {
        var request = makeRequest(path, method: method)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let nanoseconds = Self.nanoseconds(deadline)
        let prepared = request
        do {
            // AsyncHTTPClient's deadline covers connecting and the head; the race also bounds the body.
            return try await Self.withDeadline(nanoseconds: nanoseconds, operation: operation) { [http, logger] in
                let response = try await http.execute(
                    prepared, deadline: .now() + .nanoseconds(nanoseconds), logger: logger)
                self.noteClock(response.headers)
                guard (200..<300).contains(response.status.code) else {
                    throw Self.statusError(response.status.code, operation: operation)
                }
                let buffer = try await response.body.collect(upTo: Self.maximumJSONBytes)
                return Data(buffer.readableBytesView)
            }
        } catch let error as CentralClientError {
            throw error
        } catch {
            throw Self.transportError(error, operation: operation)
        }
    }

    /// Runs `body` but answers no later than the deadline: on time-out the caller gets ``CentralClientError/timeout``
    /// at once and `body` is cancelled in the background. (A task group would wait for `body` to honour the
    /// cancellation, which a connection attempt may not do promptly — measured at 2 s against a refused port.)
    private static func withDeadline<T: Sendable>(
        nanoseconds: Int64, operation: String, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let race = DeadlineRace<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                race.start(continuation: continuation, nanoseconds: nanoseconds, body: body) {
                    CentralClientError(.timeout, operation: operation, detail: "deadline passed")
                }
            }
        } onCancel: {
            race.cancel()
        }
    }

    private func noteClock(_ headers: HTTPHeaders) {
        guard let text = headers.first(name: "Date"), let serverDate = ServerClockSample.parseHTTPDate(text) else {
            return
        }
        let sample = ServerClockSample(serverDate: serverDate, localDate: localClock())
        clock.withLock { $0 = sample }
    }

    private func encode(_ value: some Encodable, _ operation: String) throws(CentralClientError) -> Data {
        do { return try JSONEncoder().encode(value) } catch {
            throw CentralClientError(.rejected, operation: operation, detail: "cannot encode the request")
        }
    }

    private func decode<T: Decodable>(_ data: Data, _ operation: String) throws(CentralClientError) -> T {
        do { return try JSONDecoder().decode(T.self, from: data) } catch let error as DecodingError {
            throw CentralClientError(.malformedAnswer, operation: operation, detail: Self.describe(error))
        } catch {
            throw CentralClientError(.malformedAnswer, operation: operation, detail: "not JSON")
        }
    }

    static func statusError(_ status: UInt, operation: String) -> CentralClientError {
        let code: CentralClientError.Code =
            switch status {
            case 500...599: .serverError
            case 409: .epochMismatch
            case 401, 403: .unauthorized
            default: .rejected
            }
        return CentralClientError(code, operation: operation, status: Int(status))
    }

    static func transportError(_ error: any Error, operation: String) -> CentralClientError {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .connectTimeout, .readTimeout, .writeTimeout, .getConnectionFromPoolTimeout:
                return CentralClientError(.timeout, operation: operation, detail: "\(error)")
            default:
                return CentralClientError(.connection, operation: operation, detail: "\(error)")
            }
        }
        if error is CancellationError {
            return CentralClientError(.timeout, operation: operation, detail: "cancelled")
        }
        return CentralClientError(.connection, operation: operation, detail: String(describing: type(of: error)))
    }

    private static func describe(_ error: DecodingError) -> String {
        let (path, what): ([any CodingKey], String) =
            switch error {
            case .typeMismatch(_, let c): (c.codingPath, "wrong type")
            case .valueNotFound(_, let c): (c.codingPath, "null")
            case .keyNotFound(let key, let c): (c.codingPath + [key], "missing")
            case .dataCorrupted(let c): (c.codingPath, c.codingPath.isEmpty ? "not JSON" : "bad value")
            @unknown default: ([], "undecodable")
            }
        let field = path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        return field.isEmpty ? what : "\(field): \(what)"
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// The first of `body` and a timer answers the continuation; the loser is cancelled and not awaited.
private final class DeadlineRace<T: Sendable>: Sendable {
    private let answered = Atomic<Bool>(false)
    private let tasks = Mutex<(work: Task<Void, Never>?, timer: Task<Void, Never>?)>((nil, nil))

    func start(
        continuation: CheckedContinuation<T, any Error>, nanoseconds: Int64,
        body: @escaping @Sendable () async throws -> T, timeout: @escaping @Sendable () -> any Error
    ) {
        let work = Task {
            let result: Result<T, any Error>
            do { result = .success(try await body()) } catch { result = .failure(error) }
            self.finish(continuation, with: result)
        }
        let timer = Task {
            // Cancelled when the answer comes first, as it usually does: see DispatchSleep.
            guard (try? await DispatchSleep.sleep(for: .nanoseconds(nanoseconds))) != nil else { return }
            self.finish(continuation, with: .failure(timeout()))
        }
        tasks.withLock { $0 = (work, timer) }
    }

    private func finish(_ continuation: CheckedContinuation<T, any Error>, with result: Result<T, any Error>) {
        guard !answered.exchange(true, ordering: .acquiringAndReleasing) else { return }
        continuation.resume(with: result)
        cancel()
    }

    func cancel() {
        let (work, timer) = tasks.withLock { $0 }
        work?.cancel()
        timer?.cancel()
    }
}
