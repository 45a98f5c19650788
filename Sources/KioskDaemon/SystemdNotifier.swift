import Foundation
public import Logging
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
public struct SystemdNotifier: Service {
    private let socket: SystemdNotifySocket
    private let watchdog: SystemdWatchdog?
    private let health: any KioskHealthReporting
    private let statusInterval: Duration
    private let logger: Logger

    /// - Parameters:
    ///   - socket: `$NOTIFY_SOCKET` (``SystemdNotifySocket/init(environment:)``).
    ///   - watchdog: `$WATCHDOG_USEC` (``SystemdWatchdog/init(environment:pid:)``), or `nil` for none.
    ///   - health: the kiosk (``KioskService``), or a fake in unit tests.
    ///   - statusInterval: how often the status line is rebuilt and sent if it changed (default 2 s).
    public init(
        socket: SystemdNotifySocket, watchdog: SystemdWatchdog?, health: any KioskHealthReporting,
        statusInterval: Duration = .seconds(2), logger: Logger
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
        let tick = min(statusInterval, watchdog?.pingInterval ?? statusInterval)
        var nextPing = clock.now
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
            if !withheld {
                let status = await health.statusLine()
                if status != lastStatus {
                    send("STATUS=\(status)")
                    lastStatus = status
                }
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: tick) }
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
                try await Task.sleep(for: timeout)
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
