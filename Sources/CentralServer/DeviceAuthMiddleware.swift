import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// Device authentication (DESIGN.md §5): `Authorization: Bearer <token>` for a known token, the `Kiosk-ID` the
/// token was issued to, and a `Venue-ID`; anything else is a 401 problem. Tokens are compared by their SHA-256, so
/// the lookup's timing says nothing about a token's prefix.
struct DeviceAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    private let kioskByTokenHash: [Data: String]

    init(tokens: [String: String]) {
        kioskByTokenHash = Dictionary(
            tokens.map { (Data(SHA256.hash(data: Data($0.key.utf8))), $0.value) }, uniquingKeysWith: { a, _ in a })
    }

    static var kioskIDField: HTTPField.Name { HTTPField.Name("Kiosk-ID")! }
    static var venueIDField: HTTPField.Name { HTTPField.Name("Venue-ID")! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard let authorization = request.headers[.authorization], authorization.hasPrefix("Bearer "),
            case let token = authorization.dropFirst("Bearer ".count), !token.isEmpty
        else { throw Problem.unauthorized("missing bearer token") }
        guard let kiosk = kioskByTokenHash[Data(SHA256.hash(data: Data(token.utf8)))] else {
            throw Problem.unauthorized("unknown device token")
        }
        guard let kioskID = request.headers[Self.kioskIDField], !kioskID.isEmpty, kioskID.utf8.count <= 64 else {
            throw Problem.unauthorized("missing Kiosk-ID header")
        }
        guard kioskID == kiosk else { throw Problem.unauthorized("the token was not issued to this Kiosk-ID") }
        guard let venueID = request.headers[Self.venueIDField], !venueID.isEmpty, venueID.utf8.count <= 64 else {
            throw Problem.unauthorized("missing Venue-ID header")
        }
        return try await next(request, context)
    }
}
