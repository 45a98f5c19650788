import ArgumentParser
import Display
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
    @Option(name: .customLong("sam-device"), help: "Serial device of a GA 467 SAM ID-card reader (e.g. /dev/kiosk-sam).")
    var samDevice: String?
    @Option(name: .customLong("sam-baud"), help: "Line speed of the SAM ID-card reader, in baud.")
    var samBaud = 115_200
    @Option(help: "Renderer: terminal, framebuffer, png or none.")
    var renderer = KioskConfiguration.RendererKind.terminal.rawValue
    @Option(name: .customLong("fb-device"), help: "Framebuffer device for --renderer framebuffer.")
    var framebufferDevice = FramebufferSettings().devicePath
    @Option(name: .customLong("fb-rotation"), help: "Software rotation of the screen, degrees clockwise: 0, 90, 180 or 270.")
    var framebufferRotation = 0
    @Option(name: .customLong("fb-tty"), help: "VT to switch to graphics mode (e.g. /dev/tty1; default: the foreground VT).")
    var framebufferTTY: String?
    @Flag(name: .customLong("sound"), help: "Play a short tone per result (off by default).")
    var sound = false
    @Option(name: .customLong("sound-command"), help: "Player reading raw S16_LE mono PCM on standard input.")
    var soundCommand = SoundConfiguration.defaultPlayerCommand.joined(separator: " ")
    @Option(name: .customLong("sound-rate"), help: "Sample rate of the PCM given to --sound-command, in Hz.")
    var soundRate = SoundConfiguration().sampleRate
    @Option(name: .customLong("speech-command"), help: "Also speak the result: command given the words as last argument (e.g. 'espeak-ng -v zh').")
    var speechCommand: String?
    @Option(name: .customLong("png-out"), help: "With --renderer png: the file each frame is written to.")
    var pngOut = KioskConfiguration.PNGOutput().path
    @Option(name: .customLong("png-size"), help: "With --renderer png: panel size in pixels, WIDTHxHEIGHT.")
    var pngSize = "800x480"
    @Option(name: .customLong("time-zone"), help: "Time zone of the clock on screen.")
    var timeZone = "Asia/Shanghai"
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "notice"
    @Option(
        name: .customLong("scanner"),
        help: "Barcode scanner to open in any case (repeatable): a device path, or KIND:PATH with KIND evdev, hidpos or serial.")
    var scanners: [String] = []
    @Flag(name: .customLong("no-scanner-discovery"), help: "Do not look for barcode scanners through udev.")
    var noScannerDiscovery = false
    @Option(name: .customLong("central-url"), help: "Central service base URL (e.g. https://central.example.org); omit for snapshot-only.")
    var centralURL: String?
    @Option(name: .customLong("token-file"), help: "File holding this kiosk's bearer token for the central service.")
    var tokenFile: String?
    @Option(name: .customLong("kiosk-id"), help: "This kiosk's id, sent to the central service.")
    var kioskID: String?
    @Option(name: .customLong("central-public-key"), help: "The central service's Ed25519 manifest key, base64 (32 bytes).")
    var centralPublicKey: String?
    @Option(name: .customLong("central-cert"), help: "PEM certificate to trust instead of the system roots (pinning).")
    var centralCertificate: String?

    /// `--png-size` as (width, height), or nil when malformed.
    var pngDimensions: (Int, Int)? {
        let parts = pngSize.lowercased().split(separator: "x")
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), (16...8192).contains(w),
            (16...8192).contains(h)
        else { return nil }
        return (w, h)
    }

    func validate() throws {
        if centralURL != nil {
            guard tokenFile != nil, kioskID != nil, centralPublicKey != nil else {
                throw ValidationError("--central-url needs --token-file, --kiosk-id and --central-public-key")
            }
        }
        guard KioskConfiguration.RendererKind(rawValue: renderer) != nil else {
            throw ValidationError("--renderer must be one of: terminal, framebuffer, png, none")
        }
        guard FramebufferRotation(degrees: framebufferRotation) != nil else {
            throw ValidationError("--fb-rotation: 0, 90, 180 or 270")
        }
        guard !soundCommand.split(separator: " ").isEmpty else { throw ValidationError("--sound-command is empty") }
        guard (8_000...48_000).contains(soundRate) else { throw ValidationError("--sound-rate: Hz from 8000 to 48000") }
        guard pngDimensions != nil else { throw ValidationError("--png-size: WIDTHxHEIGHT, 16 to 8192 pixels each") }
        guard TimeZone(identifier: timeZone) != nil else { throw ValidationError("--time-zone: unknown '\(timeZone)'") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level: unknown '\(logLevel)'") }
        guard hold.isFinite, hold > 0, hold <= 3600 else { throw ValidationError("--hold: seconds from 0 to 3600") }
        guard minimumHold.isFinite, minimumHold >= 0, minimumHold <= hold else {
            throw ValidationError("--min-hold: seconds from 0 to --hold (\(hold))")
        }
        guard maximumSnapshotAgeHours.isFinite, maximumSnapshotAgeHours > 0, maximumSnapshotAgeHours <= 24 * 365 else {
            throw ValidationError("--max-snapshot-age: hours from 0 to 8760")
        }
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
            samDevicePath: samDevice, samBaudRate: samBaud,
            scanners: ScannerSettings(discover: !noScannerDiscovery, devices: scanners),
            renderer: KioskConfiguration.RendererKind(rawValue: renderer)!,
            framebuffer: FramebufferSettings(
                devicePath: framebufferDevice, rotation: FramebufferRotation(degrees: framebufferRotation)!,
                consolePath: framebufferTTY),
            sound: SoundConfiguration(
                enabled: sound, playerCommand: soundCommand.split(separator: " ").map(String.init),
                sampleRate: soundRate, speechCommand: speechCommand.map { $0.split(separator: " ").map(String.init) }),
            timeZone: TimeZone(identifier: timeZone)!,
            pngOutput: KioskConfiguration.PNGOutput(path: pngOut, width: pngDimensions!.0, height: pngDimensions!.1),
            central: centralURL.map {
                CentralSettings(
                    baseURL: $0, tokenFile: tokenFile, kioskID: kioskID!, publicKeyBase64: centralPublicKey!,
                    pinnedCertificatePath: centralCertificate,
                    stateDirectory: URL(fileURLWithPath: snapshot).deletingLastPathComponent().path)
            })
        let service = try KioskService(configuration: configuration, logger: logger)
        // Central client, sync and uploader first, so a graceful shutdown stops the tap pipeline before them.
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: service.centralServices.map { .init(service: $0) } + [.init(service: service)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}

