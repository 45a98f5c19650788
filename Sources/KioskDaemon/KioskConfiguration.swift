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
        self.renderer = renderer
        self.timeZone = timeZone
    }
}
