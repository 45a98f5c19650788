import Foundation
public import Hummingbird

/// An RFC 9457 problem (`application/problem+json`) that renders itself, like Hummingbird's `HTTPError`.
public struct Problem: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    /// A short, stable summary of the problem type.
    public var title: String
    /// What happened in this case; never identity data (the API carries only subject keys anyway).
    public var detail: String?
    /// A URI naming the problem type; `about:blank` when the status says it all.
    public var type: String
    public var headers: HTTPFields

    public init(
        _ status: HTTPResponse.Status, title: String? = nil, detail: String? = nil, type: String = "about:blank",
        headers: HTTPFields = [:]
    ) {
        self.status = status
        self.title = title ?? status.reasonPhrase
        self.detail = detail
        self.type = type
        self.headers = headers
    }

    private struct Body: Encodable {
        var type: String
        var title: String
        var status: Int
        var detail: String?
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = try encoder.encode(Body(type: type, title: title, status: status.code, detail: detail))
        var headers = self.headers
        headers[.contentType] = "application/problem+json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func unauthorized(_ detail: String) -> Problem {
        Problem(.unauthorized, detail: detail, headers: [.wwwAuthenticate: "Bearer"])
    }

    static func badRequest(_ detail: String) -> Problem { Problem(.badRequest, detail: detail) }
}
