import ArgumentParser
import Foundation
import KioskDaemon
import Logging
import ServiceLifecycle
import UnixSignals

/// `kioskd`: the kiosk daemon. Parses flags into a `KioskConfiguration`, bootstraps logging to standard error and
/// runs the kiosk service until SIGTERM or SIGINT.
@main
struct KioskdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kioskd",
        abstract: "Self-service status kiosk: tap a card, see the status.")

    @Option(help: "Offline status snapshot (SQLite).")
    var snapshot = KioskConfiguration().snapshotPath
    @Option(name: .customLong("visit-log"), help: "Visit log (SQLite), written before each result is shown.")
    var visitLog = KioskConfiguration().visitLogPath
    @Option(help: "Venue identifier written into each visit.")
    var venue = KioskConfiguration().venueID
    @Option(name: .customLong("venue-name"), help: "Venue name shown on screen.")
    var venueName = KioskConfiguration().venueName
    @Option(help: "Seconds a result stays on screen at most.")
    var hold = KioskConfiguration().holdSeconds
    @Option(name: .customLong("min-hold"), help: "Seconds a result stays on screen at least, once the card is removed.")
    var minimumHold = KioskConfiguration().minimumHoldSeconds
    @Option(name: .customLong("max-snapshot-age"), help: "Hours after which the snapshot answers 'cannot verify'.")
    var maximumSnapshotAgeHours = KioskConfiguration().maximumSnapshotAgeSeconds / 3600
    @Option(
        name: .customLong("ignore-reader"),
        help: "Ignore readers whose name contains this text (repeatable; default: SAM, SIM).")
    var ignoredReaders: [String] = []
    @Option(help: "Renderer: terminal or none.")
    var renderer = KioskConfiguration.RendererKind.terminal.rawValue
    @Option(name: .customLong("time-zone"), help: "Time zone of the clock on screen.")
    var timeZone = "Asia/Shanghai"
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "notice"

    func validate() throws {
        guard KioskConfiguration.RendererKind(rawValue: renderer) != nil else {
            throw ValidationError("--renderer must be one of: terminal, none")
        }
        guard TimeZone(identifier: timeZone) != nil else { throw ValidationError("--time-zone: unknown '\(timeZone)'") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level: unknown '\(logLevel)'") }
        guard hold > 0, minimumHold >= 0 else { throw ValidationError("--hold must be > 0 and --min-hold >= 0") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel)!
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "kioskd")
        let configuration = KioskConfiguration(
            snapshotPath: snapshot, visitLogPath: visitLog, venueID: venue, venueName: venueName,
            holdSeconds: hold, minimumHoldSeconds: minimumHold,
            maximumSnapshotAgeSeconds: maximumSnapshotAgeHours * 3600,
            ignoredReaderNames: ignoredReaders.isEmpty ? KioskConfiguration().ignoredReaderNames : ignoredReaders,
            renderer: KioskConfiguration.RendererKind(rawValue: renderer)!,
            timeZone: TimeZone(identifier: timeZone)!)
        let service = try KioskService(configuration: configuration, logger: logger)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: service)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}

