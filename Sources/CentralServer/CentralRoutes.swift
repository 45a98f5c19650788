import Foundation
import HTTPTypes
import Hummingbird
import KioskCore

/// The handlers of the four routes. Every error leaves as an RFC 9457 ``Problem``.
struct CentralRoutes: Sendable {
    let store: CentralStore
    let publisher: SnapshotPublisher
    let now: @Sendable () -> Date

    static let maximumLookupSubjects = 4
    static let maximumVisitBatch = 500
    static let maximumBodyBytes = 1 << 20

    // MARK: POST /v1/status/lookup

    @Sendable func lookup(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let body = try await decode(CentralWire.LookupRequest.self, from: request)
        guard (1...Self.maximumLookupSubjects).contains(body.subjects.count) else {
            throw Problem.badRequest("give 1 to \(Self.maximumLookupSubjects) subjects")
        }
        guard let state = try store.state() else {
            throw Problem(.serviceUnavailable, detail: "no statuses imported yet")
        }
        guard body.epoch == state.epoch else {
            throw Problem(
                .conflict, title: "Wrong epoch",
                detail: "keys are of epoch \(body.epoch), the current epoch is \(state.epoch); fetch the manifest",
                type: "urn:cardkiosk:problem:wrong-epoch")
        }
        let keys = body.subjects.map(\.key)
        let records = try store.records(for: keys, epoch: state.epoch)
        let results = zip(keys, records).map { CentralWire.LookupResponse.Result(key: $0, record: $1.map(CentralWire.Record.init)) }
        return try json(CentralWire.LookupResponse(epoch: state.epoch, results: results))
    }

    // MARK: GET /v1/snapshots/manifest?since=N

    @Sendable func manifest(_ request: Request, context: BasicRequestContext) async throws -> Response {
        var since: Int?
        if let raw = request.uri.queryParameters["since"] {
            guard let value = Int(raw), value >= 0 else { throw Problem.badRequest("since must be a sequence number") }
            since = value
        }
        do {
            let manifest = try await publisher.manifest(since: since)
            var response = try json(manifest)
            response.headers[.cacheControl] = "no-store"
            return response
        } catch is SnapshotPublisher.NothingPublished {
            throw Problem(.serviceUnavailable, detail: "no snapshot published yet")
        }
    }

    // MARK: GET /v1/snapshots/payloads/{sha256}

    @Sendable func payload(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let sha = context.parameters.get("sha256") ?? ""
        guard let file = try await publisher.payloadFile(sha256: sha) else {
            throw Problem(.notFound, detail: "no payload with this hash")
        }
        let size = (try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.intValue ?? 0
        let etag = "\"\(sha)\""
        var headers: HTTPFields = [
            .contentType: "application/octet-stream",
            .cacheControl: "public, max-age=31536000, immutable",
            .eTag: etag,
            .acceptRanges: "bytes",
        ]
        if let match = request.headers[.ifNoneMatch],
            match == "*" || match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag })
        {
            return Response(status: .notModified, headers: headers)
        }
        let fileIO = FileIO()
        switch try ByteRange.parse(request.headers[.range], size: size) {
        case .whole:
            headers[.contentLength] = String(size)
            let body = size == 0 ? ResponseBody() : try await fileIO.loadFile(path: file.path, context: context)
            return Response(status: .ok, headers: headers, body: body)
        case .partial(let range):
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)"
            headers[.contentLength] = String(range.count)
            let body = try await fileIO.loadFile(path: file.path, range: range, context: context)
            return Response(status: .partialContent, headers: headers, body: body)
        case .unsatisfiable:
            throw Problem(
                .rangeNotSatisfiable, detail: "the payload has \(size) bytes",
                headers: [.contentRange: "bytes */\(size)"])
        }
    }

    // MARK: POST /v1/visits

    @Sendable func visits(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let body = try await decode(CentralWire.VisitBatch.self, from: request)
        guard body.visits.count <= Self.maximumVisitBatch else {
            throw Problem.badRequest("at most \(Self.maximumVisitBatch) visits per batch")
        }
        var visits: [VisitRecord] = []
        for (index, wire) in body.visits.enumerated() {
            guard let id = UUID(uuidString: wire.id) else { throw Problem.badRequest("visits[\(index)].id is not a UUID") }
            guard let at = CentralWire.parseTime(wire.at) else {
                throw Problem.badRequest("visits[\(index)].at is not RFC 3339")
            }
            guard (1...64).contains(wire.result.utf8.count), (1...64).contains(wire.provenance.utf8.count) else {
                throw Problem.badRequest("visits[\(index)]: result and provenance must be 1 to 64 bytes")
            }
            visits.append(
                VisitRecord(
                    id: id, at: at, subjectKey: wire.subjectKey, epoch: wire.epoch, result: wire.result,
                    provenance: wire.provenance))
        }
        let kioskID = request.headers[DeviceAuthMiddleware<BasicRequestContext>.kioskIDField] ?? ""
        let venueID = request.headers[DeviceAuthMiddleware<BasicRequestContext>.venueIDField] ?? ""
        let (accepted, duplicates) = try store.recordVisits(
            visits, kioskID: kioskID, venueID: venueID, receivedAt: now())
        return try json(CentralWire.VisitReceipt(accepted: accepted, duplicates: duplicates))
    }

    // MARK: Helpers

    private func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: Self.maximumBodyBytes)
        } catch {
            throw Problem(.contentTooLarge, detail: "the body is larger than \(Self.maximumBodyBytes) bytes")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw Problem.badRequest(Self.describe(error))
        }
    }

    private func json(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func describe(_ error: DecodingError) -> String {
        let (path, what): ([any CodingKey], String) =
            switch error {
            case .typeMismatch(_, let c): (c.codingPath, "has the wrong type")
            case .valueNotFound(_, let c): (c.codingPath, "is null")
            case .keyNotFound(let key, let c): (c.codingPath + [key], "is missing")
            case .dataCorrupted(let c): (c.codingPath, c.codingPath.isEmpty ? "body is not JSON" : "is malformed")
            @unknown default: ([], "body is malformed")
            }
        let field = path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        return field.isEmpty ? what : "\(field) \(what)"
    }
}

/// A `Range` request header against a payload of `size` bytes (RFC 9110 §14): one range `a-`, `a-b` or `-n`.
/// Anything else (several ranges, another unit, bad syntax) is ignored and the whole payload is served, as the RFC
/// allows.
enum ByteRange: Equatable {
    case whole
    case partial(ClosedRange<Int>)
    case unsatisfiable

    static func parse(_ header: String?, size: Int) throws -> ByteRange {
        guard let header, header.hasPrefix("bytes="), !header.contains(",") else { return .whole }
        let spec = header.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return .whole }
        if parts[0].isEmpty {
            guard let suffix = Int(parts[1]), suffix >= 0 else { return .whole }
            guard suffix > 0, size > 0 else { return .unsatisfiable }
            return .partial(max(0, size - suffix)...(size - 1))
        }
        guard let first = Int(parts[0]), first >= 0 else { return .whole }
        var last = size - 1
        if !parts[1].isEmpty {
            guard let value = Int(parts[1]), value >= first else { return .whole }
            last = min(value, size - 1)
        }
        guard first < size else { return .unsatisfiable }
        return .partial(first...last)
    }
}
