import Foundation
import KioskCore
public import Resolution
import SmartCard

/// What the systemd notifier asks of the kiosk: a one-line status and whether the parts that serve taps are alive.
public protocol KioskHealthReporting: Sendable {
    /// One line for `systemctl status` (`STATUS=`): inputs, snapshot, centre, backlog. No identities.
    func statusLine() async -> String
    /// `nil` while the tap pipeline and the input threads are alive; otherwise what is stuck, for the journal.
    /// Called every watchdog half-period; must not block (the caller also bounds it with a timeout).
    func livenessProblem() async -> String?
    /// Requested whenever something ``statusLine()`` shows may have changed (an input's state, a visit appended,
    /// held or uploaded, a snapshot installed or set aside, a sync that reached the centre). The notifier waits
    /// on it instead of rebuilding the line on a timer, so it must be one trigger for the reporter's lifetime.
    var statusChanges: SyncTrigger { get }
}

extension KioskService: KioskHealthReporting {
    /// An input thread that has not gone round its loop for this long is stuck (its own waits are bounded well
    /// below it: 15 s PC/SC waits (``ReaderMonitor/Configuration/waitTimeout``), 2 s backoff, SAM command timeouts
    /// and a 5 s reopen delay).
    static let inputStallLimit: Duration = .seconds(30)

    /// Alive when the pipeline actor answers (it is not blocked), no tap has been in progress for longer than
    /// ``KioskConfiguration/tapStallSeconds``, and the PC/SC monitor and SAM reader threads keep going round their
    /// loops. Barcode scanner threads block in `read(2)` until a scan arrives, so they have no heartbeat; their
    /// state shows in ``statusLine()``.
    public func livenessProblem() async -> String? {
        if let busy = await pipeline.busyDuration(), busy > .seconds(configuration.tapStallSeconds) {
            return "tap pipeline stuck: one tap in progress for \(Int(busy.milliseconds / 1000)) s"
        }
        if !monitor.isResponsive(within: Self.inputStallLimit) {
            return "PC/SC reader monitor thread not responding"
        }
        if let samReader, !samReader.isResponsive(within: Self.inputStallLimit) {
            return "SAM reader thread not responding"
        }
        return nil
    }

    /// e.g. `readers 1 · scanners 0 · SAM ready · snapshot #7 2 h old · centre online · 3 visits waiting`, and
    /// `2 visits held in memory: the visit log cannot be written` while its disk is full.
    public func statusLine() async -> String {
        let inputs = await health.current()
        let readers = inputs.filter { $0.kind == .pcscReader && $0.name != "pcscd" && $0.state == .ready }.count
        let pcscdDown = inputs.contains { $0.kind == .pcscReader && $0.name == "pcscd" && $0.state != .ready }
        let scanners = inputs.filter {
            [.scannerEvdev, .scannerHIDPOS, .scannerSerial].contains($0.kind) && $0.state == .ready
        }.count
        var parts = [pcscdDown ? "pcscd unreachable" : "readers \(readers)", "scanners \(scanners)"]
        if let sam = inputs.first(where: { $0.kind == .samReader }) {
            switch sam.state {
            case .ready: parts.append("SAM ready")
            case .absent: parts.append("SAM absent")
            case .failing: parts.append("SAM failing")
            }
        }
        switch Result(catching: { try snapshot.metadata() }) {
        case .success(let metadata?):
            parts.append("snapshot #\(metadata.sequence) \(Self.age(Date().timeIntervalSince(metadata.createdAt))) old")
        case .success(nil): parts.append("no snapshot")
        case .failure: parts.append("snapshot unreadable")
        }
        if let centralClient, let settings = configuration.central {
            // Any answer with a Date header (lookups, sync, uploads) counts; sync runs every sync interval.
            let window = max(120, 2 * settings.syncIntervalSeconds)
            if let sample = centralClient.lastClockSample, Date().timeIntervalSince(sample.localDate) <= window {
                parts.append("centre online")
            } else {
                parts.append("centre offline")
            }
        } else {
            parts.append("snapshot only")
        }
        if let pending = try? visits.pendingCount() {
            parts.append("\(pending) visit\(pending == 1 ? "" : "s") waiting")
        }
        let held = recorder.heldCount
        if held > 0 {
            parts.append("\(held) visit\(held == 1 ? "" : "s") held in memory: the visit log cannot be written")
        }
        return parts.joined(separator: " · ")
    }

    /// `45 s`, `12 min`, `5 h`, `3 d`.
    static func age(_ seconds: TimeInterval) -> String {
        let s = max(0, Int(seconds))
        switch s {
        case ..<60: return "\(s) s"
        case ..<3600: return "\(s / 60) min"
        case ..<(48 * 3600): return "\(s / 3600) h"
        default: return "\(s / 86400) d"
        }
    }
}
