import Foundation
public import Hummingbird
import KioskCore
public import Logging
import NIOCore

/// The reference central service (DESIGN.md §5, openapi/kiosk-central.yaml): opens the store and returns the
/// Hummingbird application. Run it with `app.runService()` or inside a `ServiceGroup`.
///
/// - Parameters:
///   - onServerRunning: called with the bound port once the server listens (port 0 picks a free one).
public func makeCentralApplication(
    configuration: CentralConfiguration, logger: Logger,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    let store = try CentralStore(
        path: configuration.databasePath, deltaRetentionSeconds: configuration.deltaRetentionSeconds)
    return try makeCentralApplication(
        configuration: configuration, store: store, logger: logger, onServerRunning: onServerRunning)
}

/// The application around an open store (tests keep the store to import people while the server runs).
public func makeCentralApplication(
    configuration: CentralConfiguration, store: CentralStore, logger: Logger,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    let router = try makeCentralRouter(configuration: configuration, store: store)
    return Application(
        router: router,
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port), serverName: "kiosk-central"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger)
}

/// The routes, for `.router` tests and for embedding.
public func makeCentralRouter(configuration: CentralConfiguration, store: CentralStore) throws
    -> Router<BasicRequestContext>
{
    let publisher = try SnapshotPublisher(store: store, configuration: configuration)
    let routes = CentralRoutes(store: store, publisher: publisher, now: configuration.now)
    let router = Router(context: BasicRequestContext.self)
    router.group("v1")
        .add(middleware: DeviceAuthMiddleware(tokens: configuration.deviceTokens))
        .post("status/lookup", use: routes.lookup)
        .get("snapshots/manifest", use: routes.manifest)
        .get("snapshots/payloads/:sha256", use: routes.payload)
        .post("visits", use: routes.visits)
    return router
}
