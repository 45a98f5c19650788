public import Barcode
public import Foundation

/// Everything `kioskd` needs to run, with defaults a venue can use as they are.
///
/// Loaded from command-line flags (see `kioskd --help`); the configuration file of the deployment issue will fill
/// the same struct.
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
    /// Time zone for the clock and times on screen.
    public var timeZone: TimeZone

    /// The renderers `kioskd` can draw with.
    public enum RendererKind: String, Sendable, CaseIterable {
        /// Full-screen ANSI on standard output.
        case terminal
        /// No drawing (headless tests, benchmarks); frames are still built and observed.
        case none
    }

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
        timeZone: TimeZone = TimeZone(identifier: "Asia/Shanghai") ?? .current
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
        self.timeZone = timeZone
    }
}

/// Barcode-scanner settings of ``KioskConfiguration``.
public struct ScannerSettings: Sendable {
    /// Find scanners through udev at start and on hotplug.
    public var discover: Bool
    /// Device paths to open in any case (e.g. `/dev/input/kiosk-scanner`, the udev symlink).
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
        configuration.devices = devices.map { ScannerDevice(path: $0) }
        configuration.evdev.layout = keyboardLayout
        configuration.classifier = PayloadClassifier(printedCodePatterns: printedCodePatterns)
        return configuration
    }
}
