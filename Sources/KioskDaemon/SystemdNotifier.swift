import Foundation
import KioskCore
public import Logging
import Resolution
public import ServiceLifecycle
import Synchronization

/// Tells systemd how `kioskd` is doing (`Type=notify`, sd_notify(3)): `READY=1` when it starts running, `STATUS=`
/// whenever the one-line summary changes, `WATCHDOG=1` every half of `WatchdogSec=` *only while*
/// ``KioskHealthReporting/livenessProblem()`` finds nothing stuck, and `STOPPING=1` on graceful shutdown.
///
/// Put it **last** in the service group: it starts after the kiosk service was built (configuration loaded,
/// snapshot and visit log opened: what `READY=1` promises; readers and scanners are hotplug and come later), and a
/// graceful shutdown reaches it first, so `STOPPING=1` goes out before the pipeline stops.
///
/// The watchdog is not a timer that proves only that the process exists: each ping first asks the kiosk whether
/// the tap pipeline answers and the input threads go round their loops. When they do not, the ping is withheld,
/// `STATUS=` says what is stuck, and systemd restarts the service after `WatchdogSec=`.
///
/// It does not poll: between pings it sleeps until ``KioskHealthReporting/statusChanges`` is requested (an input,
/// a visit, the snapshot or the centre changed), and rebuilds the status line then (at most every
/// ``minimumStatusGap``, so a burst of taps costs a few rebuilds, not one each), at each ping, and after
/// `statusInterval` without either (for what changes with time alone: the snapshot's age, the centre counted
/// offline after its window).
public struct SystemdNotifier: Service {
    /// The shortest time between two rebuilds of the status line that changes asked for.
    public static let minimumStatusGap: Duration = .milliseconds(250)

    private let socket: SystemdNotifySocket
    private let watchdog: SystemdWatchdog?
    private let health: any KioskHealthReporting
    private let statusInterval: Duration
    private let logger: Logger

    /// - Parameters:
    ///   - socket: `$NOTIFY_SOCKET` (``SystemdNotifySocket/init(environment:)``).
    ///   - watchdog: `$WATCHDOG_USEC` (``SystemdWatchdog/init(environment:pid:)``), or `nil` for none.
    ///   - health: the kiosk (``KioskService``), or a fake in unit tests.
    ///   - statusInterval: the longest time the status line goes without a rebuild when nothing asks for one and
    ///     no ping is due (default 60 s; with the unit's watchdog the pings, every 15 s, come first).
    public init(
        socket: SystemdNotifySocket, watchdog: SystemdWatchdog?, health: any KioskHealthReporting,
        statusInterval: Duration = .seconds(60), logger: Logger
    ) {
        self.socket = socket
        self.watchdog = watchdog
        self.health = health
        self.statusInterval = statusInterval
        self.logger = logger
    }

    public func run() async throws {
        var lastStatus = await health.statusLine()
        send("READY=1\nSTATUS=\(lastStatus)")
        logger.info("told systemd READY=1", metadata: ["kiosk.watchdog_usec": "\(watchdog.map { "\($0.timeout)" } ?? "off")"])
        let clock = ContinuousClock()
        let changes = health.statusChanges
        var nextPing = clock.now
        var rebuiltAt = clock.now
        var withheld = false
        let probe = LivenessProbe(health: health)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            if let watchdog, clock.now >= nextPing {
                nextPing = clock.now + watchdog.pingInterval
                // Bounded: a pipeline blocked on its executor would never answer.
                if let problem = await probe.check(timeout: watchdog.pingInterval / 2) {
                    if !withheld {
                        logger.error("watchdog withheld: \(problem)", metadata: ["kiosk.event": "watchdog"])
                    }
                    withheld = true
                    send("STATUS=stuck: \(problem)")
                    lastStatus = ""
                } else {
                    if withheld { logger.notice("watchdog resumed", metadata: ["kiosk.event": "watchdog"]) }
                    withheld = false
                    send("WATCHDOG=1")
                }
            }
            rebuiltAt = clock.now  // while withheld too, or the refresh deadline would stay behind and spin the loop
            if !withheld {
                let status = await health.statusLine()
                if status != lastStatus {
                    send("STATUS=\(status)")
                    lastStatus = status
                }
            }
            // Asleep until the next ping, a change, or the status interval; no timer beyond those.
            let refreshAt = rebuiltAt + statusInterval
            let wakeAt = watchdog == nil ? refreshAt : min(nextPing, refreshAt)
            let requested = try? await cancelWhenGracefulShutdown {
                try await changes.wait(upTo: wakeAt - clock.now)
            }
            let earliest = rebuiltAt + Self.minimumStatusGap
            if requested == true, clock.now < earliest {
                // Later changes are remembered by the trigger; the next rebuild sees them all.
                try? await cancelWhenGracefulShutdown { try await Task.sleep(until: earliest, clock: clock) }
            }
        }
        send("STOPPING=1\nSTATUS=stopping")
    }

    private func send(_ state: String) {
        do {
            try socket.send(state)
        } catch {
            logger.warning("sd_notify failed", metadata: ["kiosk.error": "\(error)"])
        }
    }
}

/// Runs ``KioskHealthReporting/livenessProblem()`` with a timeout without ever waiting on a probe that hangs: a
/// probe still outstanding from an earlier round counts as a failure, and no second one is started beside it.
final class LivenessProbe: Sendable {
    private let health: any KioskHealthReporting
    private let outstanding = Mutex(false)

    init(health: any KioskHealthReporting) { self.health = health }

    func check(timeout: Duration) async -> String? {
        let started = outstanding.withLock { busy -> Bool in
            guard !busy else { return false }
            busy = true
            return true
        }
        guard started else { return "the tap pipeline has not answered the last liveness check" }
        return await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
            let answer = FirstAnswer(continuation)
            let timer = Task {
                try await DispatchSleep.sleep(for: timeout)  // cancelled at every answer: see DispatchSleep
                answer.resume("the tap pipeline did not answer within \(timeout)")
            }
            Task {
                let problem = await self.health.livenessProblem()
                self.outstanding.withLock { $0 = false }
                timer.cancel()
                answer.resume(problem)
            }
        }
    }

    /// Resumes a continuation with whichever answer comes first.
    private final class FirstAnswer: Sendable {
        private let continuation: Mutex<CheckedContinuation<String?, Never>?>
        init(_ continuation: CheckedContinuation<String?, Never>) { self.continuation = Mutex(continuation) }
        func resume(_ value: String?) {
            let taken = continuation.withLock { slot in
                defer { slot = nil }
                return slot
            }
            taken?.resume(returning: value)
        }
    }
}
