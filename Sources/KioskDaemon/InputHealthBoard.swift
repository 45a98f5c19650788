public import KioskCore
public import Logging

/// The health of every input `kioskd` knows, as the inputs report it (InputHealth values, no identities).
///
/// Logs each change (a failing input at warning, so a technician finds it in the journal); the watchdog and the
/// `STATUS=` line of the deployment issue read ``current()``.
public actor InputHealthBoard {
    private var inputs: [String: InputHealth] = [:]
    private let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    /// Records a report; logs it if the state changed.
    public func report(_ health: InputHealth) {
        let key = "\(health.kind.rawValue):\(health.name)"
        let previous = inputs[key]
        inputs[key] = health
        guard previous?.state != health.state else { return }
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
