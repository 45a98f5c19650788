public import Barcode
public import Display
public import Foundation
public import Logging

/// Everything `kioskd` needs to run, with defaults a venue can use as they are.
///
/// Loaded from `/etc/kioskd/kioskd.toml`, `KIOSKD_*` environment variables and `kioskd`'s flags by
/// ``ConfigurationLoader``; every key is in ``keys`` (and in `docs/configuration.md`, generated from it).
public struct KioskConfiguration: Sendable {
    /// Path of the offline status snapshot (SQLite), built by `kioskctl snapshot import` or the sync service.
    public var snapshotPath: String
    /// Path of the visit log (到访人信息登记簿, SQLite, store-and-forward).
    public var visitLogPath: String
    /// Venue identifier written into every visit record.
    public var venueID: String
    /// Venue name shown on screen.
    public var venueName: String
    /// Longest time a result stays on screen, in seconds, whether or not the card is still on the reader (privacy).
    public var holdSeconds: Double
    /// Shortest time a result stays on screen, in seconds, when the card is taken away at once.
    public var minimumHoldSeconds: Double
    /// How long a scan's result stays, in seconds (a printed code has no removal to wait for).
    public var scanHoldSeconds: Double
    /// 他人代查 (a helper checking for several people): a different card tapped within this many seconds of the
    /// previous result being drawn, while it is still on screen, joins it as a tile (up to 4). 0 turns it off
    /// (the default: in a queue of strangers, the next person must not see the previous one's tile).
    public var severalPeopleWindowSeconds: Double = 0
    /// The fonts the framebuffer and PNG renderers draw with, in fallback order (`display.fonts`,
    /// `display.bold_fonts`); Debian's DejaVu Sans, Noto Sans CJK SC and WenQuanYi Micro Hei by default.
    public var fonts: FontConfiguration = .debian
    /// A snapshot older than this many seconds answers "cannot verify" (DESIGN.md §1 step 4).
    public var maximumSnapshotAgeSeconds: Double
    /// Readers whose names contain any of these substrings are ignored (SAM/SIM slots that always hold a card).
    public var ignoredReaderNames: [String]
    /// Serial device of a GA 467 SAM ID-card reader (e.g. `/dev/kiosk-sam`, the udev symlink), or `nil` for none.
    /// The device may be absent at start and come and go: the reader reopens it.
    public var samDevicePath: String?
    /// Line speed of the SAM reader, in baud (115200 for most modules).
    public var samBaudRate: Int
    /// Barcode scanners: whether to find them through udev (and follow hotplug), explicit device paths (evdev
    /// `/dev/input/…`, hidraw, `ttyACM…`; the kind is guessed from the path), the keyboard country a keyboard-wedge
    /// scanner is set to, and the prefixes / URL hosts that mark a printed health-code or e-social-security token.
    public var scanners: ScannerSettings
    /// Which renderer draws the screens.
    public var renderer: RendererKind
    /// Device, rotation and console of the `framebuffer` renderer.
    public var framebuffer: FramebufferSettings
    /// A tone per result and optional speech; off by default.
    public var sound: SoundConfiguration
    /// Time zone for the clock and times on screen.
    public var timeZone: TimeZone
    /// The central service (online lookups, snapshot sync, visit upload); `nil` for a snapshot-only kiosk.
    public var central: CentralSettings?
    /// Lowest level `kioskd` logs (to standard error, which systemd puts in the journal).
    public var logLevel: Logger.Level
    /// Under systemd's watchdog: a tap (read, lookup, visit, frame) still in progress after this many seconds counts
    /// as stuck, and `WATCHDOG=1` is withheld so that systemd restarts `kioskd`.
    public var tapStallSeconds: Double
    /// `host:port` where ``KioskMetrics`` serves Prometheus metrics (`GET /metrics`), or `nil` for none (default).
    public var metricsListen: String?

    /// The renderers `kioskd` can draw with.
    public enum RendererKind: String, Sendable, CaseIterable {
        /// Full-screen ANSI on standard output.
        case terminal
        /// No drawing (headless tests, benchmarks); frames are still built and observed.
        case none
        /// The Linux framebuffer (``KioskConfiguration/framebuffer``).
        case framebuffer
        /// Every frame written to a PNG file (``KioskConfiguration/pngOutput``): previews and tests.
        case png
    }

    /// Where the `png` renderer writes each frame (replaced atomically) and the panel size it draws, in pixels.
    public struct PNGOutput: Sendable, Hashable {
        public var path: String
        public var width: Int
        public var height: Int

        public init(path: String = "/run/kiosk/frame.png", width: Int = 800, height: Int = 480) {
            self.path = path
            self.width = width
            self.height = height
        }
    }

    /// Output of the `png` renderer.
    public var pngOutput: PNGOutput

    public init(
        snapshotPath: String = "/var/lib/kiosk/snapshot.sqlite",
        visitLogPath: String = "/var/lib/kiosk/visits.sqlite",
        venueID: String = "venue-0001",
        venueName: String = "CardKiosk",
        holdSeconds: Double = 10,
        minimumHoldSeconds: Double = 3,
        scanHoldSeconds: Double = 6,
        maximumSnapshotAgeSeconds: Double = 48 * 3600,
        ignoredReaderNames: [String] = ["SAM", "SIM"],
        samDevicePath: String? = nil,
        samBaudRate: Int = 115_200,
        scanners: ScannerSettings = ScannerSettings(),
        renderer: RendererKind = .terminal,
        framebuffer: FramebufferSettings = FramebufferSettings(),
        sound: SoundConfiguration = SoundConfiguration(),
        timeZone: TimeZone = TimeZone(identifier: "Asia/Shanghai") ?? .current,
        pngOutput: PNGOutput = PNGOutput(),
        central: CentralSettings? = nil,
        logLevel: Logger.Level = .notice,
        tapStallSeconds: Double = 20,
        metricsListen: String? = nil
    ) {
        self.snapshotPath = snapshotPath
        self.visitLogPath = visitLogPath
        self.venueID = venueID
        self.venueName = venueName
        self.holdSeconds = holdSeconds
        self.minimumHoldSeconds = minimumHoldSeconds
        self.scanHoldSeconds = scanHoldSeconds
        self.maximumSnapshotAgeSeconds = maximumSnapshotAgeSeconds
        self.ignoredReaderNames = ignoredReaderNames
        self.samDevicePath = samDevicePath
        self.samBaudRate = samBaudRate
        self.scanners = scanners
        self.renderer = renderer
        self.framebuffer = framebuffer
        self.sound = sound
        self.timeZone = timeZone
        self.central = central
        self.pngOutput = pngOutput
        self.logLevel = logLevel
        self.tapStallSeconds = tapStallSeconds
        self.metricsListen = metricsListen
    }
}

/// How the kiosk talks to the central service (DESIGN.md §5). Keys, with units:
/// - `baseURL` (string, required): scheme, host and port, e.g. `https://central.example.org`.
/// - `token` / `tokenFile` (string; one is required): the per-kiosk bearer token, or a file holding it (read at
///   start, surrounding white space removed). Never logged.
/// - `kioskID` (string, required): sent as `Kiosk-ID`; the venue id is ``KioskConfiguration/venueID``.
/// - `publicKeyBase64` (string, required): the centre's Ed25519 manifest key, base64 of the 32 raw bytes.
/// - `pinnedCertificatePath` (string, optional): a PEM certificate trusted instead of the system roots.
/// - `lookupDeadlineMilliseconds` (int, default 800): the whole online lookup.
/// - `syncIntervalSeconds` (double, default 300): snapshot sync period (and one at start).
/// - `maximumClockSkewSeconds` (double, default 7200): warn when the centre's `Date` differs more.
/// - `uploadIntervalSeconds` (double, default 30): visit upload period when all goes well.
/// - `visitRetentionDays` (double, default 7): uploaded visits older than this are deleted.
/// - `stateDirectory` (string, default `/var/lib/kiosk`): partial snapshot downloads.
/// - `initialManifestPath` + `initialPayloadPath` (strings, optional): a signed snapshot shipped with the
///   installation, installed at start when no snapshot is installed yet.
public struct CentralSettings: Sendable {
    public var baseURL: String
    public var token: String?
    public var tokenFile: String?
    public var kioskID: String
    public var publicKeyBase64: String
    public var pinnedCertificatePath: String?
    public var lookupDeadlineMilliseconds: Int
    public var syncIntervalSeconds: Double
    public var maximumClockSkewSeconds: Double
    public var uploadIntervalSeconds: Double
    public var visitRetentionDays: Double
    public var stateDirectory: String
    public var initialManifestPath: String?
    public var initialPayloadPath: String?

    public init(
        baseURL: String, token: String? = nil, tokenFile: String? = nil, kioskID: String, publicKeyBase64: String,
        pinnedCertificatePath: String? = nil, lookupDeadlineMilliseconds: Int = 800,
        syncIntervalSeconds: Double = 300, maximumClockSkewSeconds: Double = 7200,
        uploadIntervalSeconds: Double = 30, visitRetentionDays: Double = 7,
        stateDirectory: String = "/var/lib/kiosk", initialManifestPath: String? = nil,
        initialPayloadPath: String? = nil
    ) {
        self.baseURL = baseURL
        self.token = token
        self.tokenFile = tokenFile
        self.kioskID = kioskID
        self.publicKeyBase64 = publicKeyBase64
        self.pinnedCertificatePath = pinnedCertificatePath
        self.lookupDeadlineMilliseconds = lookupDeadlineMilliseconds
        self.syncIntervalSeconds = syncIntervalSeconds
        self.maximumClockSkewSeconds = maximumClockSkewSeconds
        self.uploadIntervalSeconds = uploadIntervalSeconds
        self.visitRetentionDays = visitRetentionDays
        self.stateDirectory = stateDirectory
        self.initialManifestPath = initialManifestPath
        self.initialPayloadPath = initialPayloadPath
    }
}

/// Barcode-scanner settings of ``KioskConfiguration``.
public struct ScannerSettings: Sendable {
    /// Find scanners through udev at start and on hotplug.
    public var discover: Bool
    /// Devices to open in any case (e.g. `/dev/input/kiosk-scanner`, the udev symlink): a path whose kind is guessed
    /// from its name, or `KIND:PATH` (`evdev:`, `hidpos:`, `serial:`).
    public var devices: [String]
    /// The keyboard country a keyboard-wedge scanner types in.
    public var keyboardLayout: KeyboardLayout
    /// What marks a printed health-code / e-social-security token (opaque, verified by the centre).
    public var printedCodePatterns: [PrintedCodePattern]

    public init(
        discover: Bool = true, devices: [String] = [], keyboardLayout: KeyboardLayout = .us,
        printedCodePatterns: [PrintedCodePattern] = PayloadClassifier.examplePatterns
    ) {
        self.discover = discover
        self.devices = devices
        self.keyboardLayout = keyboardLayout
        self.printedCodePatterns = printedCodePatterns
    }

    var managerConfiguration: ScannerManagerConfiguration {
        var configuration = ScannerManagerConfiguration()
        configuration.discover = discover
        configuration.devices = devices.map { ScannerDevice(specification: $0) }
        configuration.evdev.layout = keyboardLayout
        configuration.classifier = PayloadClassifier(printedCodePatterns: printedCodePatterns)
        return configuration
    }
}
