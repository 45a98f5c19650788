/// A call to the central service failed (DESIGN.md §5). The ``Code`` says which way, and the resolver's fallback
/// reason is derived from it; the description names the request and never holds a subject key list or any body.
public struct CentralClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Ways a central call fails.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The deadline passed before the whole answer arrived.
        case timeout
        /// No connection (refused, reset, DNS, TLS handshake) or it dropped mid-answer.
        case connection
        /// The centre answered 5xx.
        case serverError
        /// 409: the keys were computed in an epoch the centre no longer uses; fetch the manifest.
        case epochMismatch
        /// 401/403: the device token was refused.
        case unauthorized
        /// Any other unexpected status (4xx) or a payload range the centre cannot serve.
        case rejected
        /// 2xx with a body that is not the contract's shape (not JSON, wrong types, wrong subjects).
        case malformedAnswer
        /// The answer arrived but could not be stored: writing the local file failed (the disk is full, an I/O
        /// error). The centre is not at fault; the detail names the file and the `errno`.
        case storage
    }

    public var code: Code
    /// What was being done, e.g. `"POST /v1/status/lookup"`.
    public var operation: String
    /// The HTTP status, when there was one.
    public var status: Int?
    /// Detail for technicians (an error name, a decoding path); no personal data.
    public var detail: String

    public init(_ code: Code, operation: String, status: Int? = nil, detail: String = "") {
        self.code = code
        self.operation = operation
        self.status = status
        self.detail = detail
    }

    public var description: String {
        var text = "\(operation): \(code.rawValue)"
        if let status { text += " (HTTP \(status))" }
        if !detail.isEmpty { text += ": \(detail)" }
        return text
    }

    /// Equality on the code only, like `ServiceGroupError`.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
