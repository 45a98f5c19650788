import ArgumentParser
import Foundation
import KioskDaemon
import Logging
import ServiceLifecycle
import UnixSignals

/// `kioskd`: the kiosk daemon. Loads the configuration (`/etc/kioskd/kioskd.toml`, `KIOSKD_*` variables, flags),
/// bootstraps logging to standard error (the journal under systemd) and runs the kiosk service, with sd_notify when
/// systemd asks for it, until SIGTERM or SIGINT.
@main
struct KioskdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kioskd",
        abstract: "Self-service status kiosk: tap a card, see the status.")

    @Option(help: "Configuration file (TOML; default \(ConfigurationLoader.defaultPath) if it exists, or $KIOSKD_CONFIG).")
    var config: String?
    @Flag(name: .customLong("check-config"), help: "Check the configuration, print problems and warnings, exit 1 on an error.")
    var checkConfig = false
    @Flag(name: .customLong("print-config-reference"), help: "Print the reference of every configuration key (Markdown).")
    var printConfigReference = false
    @Flag(name: .customLong("print-default-config"), help: "Print the default kioskd.toml, every key commented out.")
    var printDefaultConfig = false

    // Each flag below overrides one key of the configuration file (see --print-config-reference). Numeric ones parse
    // `.unconditional`ly so that `--hold -1` reaches the configuration checker (which says what is allowed) instead
    // of reading as a missing value.
    @Option(help: "Offline status snapshot (SQLite). [storage.snapshot_path]")
    var snapshot: String?
    @Option(name: .customLong("visit-log"), help: "Visit log (SQLite), written before each result is shown. [storage.visit_log_path]")
    var visitLog: String?
    @Option(help: "Venue identifier written into each visit. [kiosk.venue_id]")
    var venue: String?
    @Option(name: .customLong("venue-name"), help: "Venue name shown on screen. [kiosk.venue_name]")
    var venueName: String?
    @Option(parsing: .unconditional, help: "Seconds a result stays on screen at most. [display.hold_seconds]")
    var hold: String?
    @Option(name: .customLong("min-hold"), parsing: .unconditional, help: "Seconds a result stays on screen at least, once the card is removed. [display.min_hold_seconds]")
    var minimumHold: String?
    @Option(name: .customLong("max-snapshot-age"), parsing: .unconditional, help: "Hours after which the snapshot answers 'cannot verify'. [storage.max_snapshot_age_hours]")
    var maximumSnapshotAgeHours: String?
    @Option(
        name: .customLong("ignore-reader"),
        help: "Ignore readers whose name contains this text (repeatable; default: SAM, SIM). [readers.ignore]")
    var ignoredReaders: [String] = []
    @Option(name: .customLong("sam-device"), help: "Serial device of a GA 467 SAM ID-card reader (e.g. /dev/kiosk-sam). [sam.device]")
    var samDevice: String?
    @Option(name: .customLong("sam-baud"), parsing: .unconditional, help: "Line speed of the SAM ID-card reader, in baud. [sam.baud]")
    var samBaud: String?
    @Option(help: "Renderer: framebuffer, terminal, png or none. [display.renderer]")
    var renderer: String?
    @Option(name: .customLong("fb-device"), help: "Framebuffer device for --renderer framebuffer. [framebuffer.device]")
    var framebufferDevice: String?
    @Option(name: .customLong("fb-rotation"), parsing: .unconditional, help: "Software rotation, degrees clockwise: 0, 90, 180 or 270. [framebuffer.rotation]")
    var framebufferRotation: String?
    @Option(name: .customLong("fb-tty"), help: "VT to switch to graphics mode (e.g. /dev/tty1; default: the foreground VT). [framebuffer.console]")
    var framebufferTTY: String?
    @Option(name: .customLong("png-out"), help: "With --renderer png: the file each frame is written to. [display.png_path]")
    var pngOut: String?
    @Option(name: .customLong("png-size"), help: "With --renderer png: WIDTHxHEIGHT in pixels. [display.png_width, display.png_height]")
    var pngSize: String?
    @Option(name: .customLong("several-people-window"), parsing: .unconditional, help: "他人代查: seconds within which another card joins the result as a tile; 0 off. [display.several_people_window_seconds]")
    var severalPeopleWindow: String?
    @Flag(name: .customLong("sound"), help: "Play a short tone per result. [sound.enabled]")
    var sound = false
    @Option(name: .customLong("sound-command"), help: "Player reading raw S16_LE mono PCM on standard input (words separated by spaces). [sound.player_command]")
    var soundCommand: String?
    @Option(name: .customLong("sound-rate"), parsing: .unconditional, help: "Sample rate of the PCM given to the player, in Hz. [sound.sample_rate]")
    var soundRate: String?
    @Option(name: .customLong("speech-command"), help: "Also speak the result: a command given the words as last argument (e.g. 'espeak-ng -v zh'). [sound.speech_command]")
    var speechCommand: String?
    @Option(
        name: .customLong("scanner"),
        help: "Barcode scanner to open in any case (repeatable): a device path, or KIND:PATH with KIND evdev, hidpos or serial. [scanners.devices]")
    var scanners: [String] = []
    @Flag(name: .customLong("no-scanner-discovery"), help: "Do not look for barcode scanners through udev. [scanners.discover]")
    var noScannerDiscovery = false
    @Option(name: .customLong("time-zone"), help: "Time zone of the clock on screen. [kiosk.time_zone]")
    var timeZone: String?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical. [kiosk.log_level]")
    var logLevel: String?
    @Option(name: .customLong("central-url"), help: "Central service base URL; omit for snapshot-only. [central.url]")
    var centralURL: String?
    @Option(name: .customLong("token-file"), help: "File holding this kiosk's bearer token. [central.token_file]")
    var tokenFile: String?
    @Option(name: .customLong("kiosk-id"), help: "This kiosk's id, sent to the central service. [central.kiosk_id]")
    var kioskID: String?
    @Option(name: .customLong("central-public-key"), help: "The central service's Ed25519 manifest key, base64 (32 bytes). [central.public_key]")
    var centralPublicKey: String?
    @Option(name: .customLong("central-cert"), help: "PEM certificate to trust instead of the system roots. [central.pinned_certificate]")
    var centralCertificate: String?

    /// The flags given, as configuration key paths → text (the loader parses and checks them like the file).
    var flagValues: [String: String] {
        let pairs: [(String, String?)] = [
            ("storage.snapshot_path", snapshot), ("storage.visit_log_path", visitLog), ("kiosk.venue_id", venue),
            ("kiosk.venue_name", venueName), ("display.hold_seconds", hold),
            ("display.min_hold_seconds", minimumHold), ("storage.max_snapshot_age_hours", maximumSnapshotAgeHours),
            ("readers.ignore", ignoredReaders.isEmpty ? nil : ignoredReaders.joined(separator: ",")),
            ("sam.device", samDevice), ("sam.baud", samBaud), ("display.renderer", renderer),
            ("kiosk.time_zone", timeZone), ("kiosk.log_level", logLevel), ("central.url", centralURL),
            ("central.token_file", tokenFile), ("central.kiosk_id", kioskID),
            ("central.public_key", centralPublicKey), ("central.pinned_certificate", centralCertificate),
            ("framebuffer.device", framebufferDevice), ("framebuffer.rotation", framebufferRotation),
            ("framebuffer.console", framebufferTTY), ("display.png_path", pngOut),
            ("display.png_width", pngSize.map { String($0.lowercased().split(separator: "x").first ?? "") }),
            ("display.png_height", pngSize.map { String($0.lowercased().split(separator: "x").dropFirst().first ?? "") }),
            ("display.several_people_window_seconds", severalPeopleWindow),
            ("sound.enabled", sound ? "true" : nil),
            ("sound.player_command", soundCommand.map { $0.split(separator: " ").joined(separator: ",") }),
            ("sound.sample_rate", soundRate),
            ("sound.speech_command", speechCommand.map { $0.split(separator: " ").joined(separator: ",") }),
            ("scanners.devices", scanners.isEmpty ? nil : scanners.joined(separator: ",")),
            ("scanners.discover", noScannerDiscovery ? "false" : nil),
        ]
        return Dictionary(uniqueKeysWithValues: pairs.compactMap { key, value in value.map { (key, $0) } })
    }

    /// Loads the configuration (file, environment, flags); prints the problems and exits 1 when it cannot be used.
    func loadConfiguration() throws -> ConfigurationLoader.Loaded {
        do {
            return try ConfigurationLoader.load(
                path: config, environment: ProcessInfo.processInfo.environment, flags: flagValues)
        } catch {
            FileHandle.standardError.write(Data("kioskd: configuration error\n\(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    func run() async throws {
        if printConfigReference {
            print(ConfigurationReference.markdown(), terminator: "")
            return
        }
        if printDefaultConfig {
            print(ConfigurationReference.defaultFile(), terminator: "")
            return
        }
        let loaded = try loadConfiguration()
        if checkConfig {
            for warning in loaded.warnings { print("warning: \(warning)") }
            print("configuration OK (\(loaded.file ?? "no file, defaults")\(loaded.configuration.central == nil ? ", snapshot only" : ""))")
            return
        }
        let configuration = loaded.configuration
        let level = configuration.logLevel
        // Under systemd with stderr in the journal ($JOURNAL_STREAM): <N> priority prefixes, no timestamps.
        let toJournal = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] != nil
        LoggingSystem.bootstrap { label in
            if toJournal { return JournalLogHandler(level: level) }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "kioskd")
        for warning in loaded.warnings { logger.warning("configuration: \(warning)") }
        let service = try KioskService(configuration: configuration, logger: logger)
        // Central client, sync and uploader first, so a graceful shutdown stops the tap pipeline before them; the
        // systemd notifier last: READY=1 once all the above are built, STOPPING=1 first on shutdown.
        var services: [any Service] = service.centralServices + [service]
        if let listen = configuration.metricsListen {
            services.append(try KioskMetrics(kiosk: service, listen: listen, logger: logger))
        }
        let environment = ProcessInfo.processInfo.environment
        if let socket = try SystemdNotifySocket(environment: environment) {
            services.append(
                SystemdNotifier(
                    socket: socket, watchdog: SystemdWatchdog(environment: environment), health: service,
                    logger: logger))
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services.map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}

