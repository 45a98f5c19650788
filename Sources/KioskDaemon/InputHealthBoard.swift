public import KioskCore
public import Logging
public import Resolution

/// The health of every input `kioskd` knows, as the inputs report it (InputHealth values, no identities).
///
/// Logs each change (a failing input at warning, so a technician finds it in the journal) and requests `changes`;
/// the watchdog and the `STATUS=` line of the deployment issue read ``current()``.
public actor InputHealthBoard {
    private var inputs: [String: InputHealth] = [:]
    private let logger: Logger
    private let changes: SyncTrigger?

    /// - Parameter changes: requested after every change of an input's state (the kiosk's status line).
    public init(logger: Logger, changes: SyncTrigger? = nil) {
        self.logger = logger
        self.changes = changes
    }

    /// Records a report; logs it if the state changed.
    public func report(_ health: InputHealth) {
        let key = "\(health.kind.rawValue):\(health.name)"
        let previous = inputs[key]
        inputs[key] = health
        guard previous?.state != health.state else { return }
        changes?.request()
        let metadata: Logger.Metadata = [
            "kiosk.input": "\(health.kind.rawValue)", "kiosk.device": "\(health.name)",
        ]
        switch health.state {
        case .failing: logger.warning("input \(health)", metadata: metadata)
        case .ready, .absent: logger.notice("input \(health)", metadata: metadata)
        }
    }

    /// Every input's latest report, sorted by kind and name.
    public func current() -> [InputHealth] {
        inputs.values.sorted { ($0.kind.rawValue, $0.name) < ($1.kind.rawValue, $1.name) }
    }

    /// Whether at least one input can take a tap or a scan.
    public var anyReady: Bool { inputs.values.contains { $0.state == .ready } }
}
