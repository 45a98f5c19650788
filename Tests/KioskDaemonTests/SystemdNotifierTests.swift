import Foundation
import KioskDaemon
import Logging
import Resolution
import ServiceLifecycle
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// sd_notify against a real datagram socket given as `NOTIFY_SOCKET`, with the notifier's health seam faked: the
/// protocol itself (paths, abstract names, WATCHDOG_USEC) and the cadence rules. The same notifier over a real
/// `KioskService` is in ``KioskWatchdogTests``.
struct SystemdNotifierTests {
    /// A kiosk whose liveness the test switches.
    final class FakeHealth: KioskHealthReporting {
        let stuck = Atomic<Bool>(false)
        let status = Mutex("readers 1 · scanners 0")
        let statusChanges = SyncTrigger()
        /// How often the notifier asked for the status line.
        let statusReads = Atomic<Int>(0)
        func statusLine() async -> String {
            statusReads.add(1, ordering: .relaxed)
            return status.withLock { $0 }
        }
        func livenessProblem() async -> String? { stuck.load(ordering: .acquiring) ? "fake pipeline stuck" : nil }
    }

    static var logger: Logger {
        var logger = Logger(label: "kiosk.test.notify")
        logger.logLevel = .critical
        return logger
    }

    @Test(arguments: [false, true]) func datagramsReachAPathOrAnAbstractSocket(abstract: Bool) async throws {
        let listener = try NotifyListener(abstract: abstract)
        defer { listener.stop() }
        let socket = try #require(try SystemdNotifySocket(environment: ["NOTIFY_SOCKET": listener.notifySocket]))
        try socket.send("READY=1\nSTATUS=hello")
        try socket.send("WATCHDOG=1")
        try await listener.waitFor("WATCHDOG") { $0 == "WATCHDOG=1" }
        #expect(listener.messages == ["READY=1\nSTATUS=hello", "WATCHDOG=1"])
    }

    @Test func noSocketWithoutTheVariableAndErrorsForBadOnes() throws {
        #expect(try SystemdNotifySocket(environment: [:]) == nil)
        #expect(try SystemdNotifySocket(environment: ["NOTIFY_SOCKET": ""]) == nil)
        #expect(throws: SystemdNotifyError.self) { try SystemdNotifySocket(path: "relative/socket") }
        let nobody = try SystemdNotifySocket(path: "/nonexistent-\(UUID())/notify")
        #expect(throws: SystemdNotifyError.self) { try nobody.send("READY=1") }
    }

    @Test func watchdogFromTheEnvironment() {
        let watchdog = SystemdWatchdog(environment: ["WATCHDOG_USEC": "30000000"])
        #expect(watchdog?.timeout == .seconds(30))
        #expect(watchdog?.pingInterval == .seconds(15))
        #expect(SystemdWatchdog(environment: ["WATCHDOG_USEC": "3000000", "WATCHDOG_PID": "\(getpid())"]) != nil)
        #expect(SystemdWatchdog(environment: ["WATCHDOG_USEC": "3000000", "WATCHDOG_PID": "\(getpid() + 1)"]) == nil)
        #expect(SystemdWatchdog(environment: ["WATCHDOG_USEC": "0"]) == nil)
        #expect(SystemdWatchdog(environment: ["WATCHDOG_USEC": "soon"]) == nil)
        #expect(SystemdWatchdog(environment: [:]) == nil)
    }

    /// READY first, pings at about half the timeout while alive, none while stuck, again after, STOPPING last.
    @Test func readyWatchdogWhileAliveOnlyAndStopping() async throws {
        let listener = try NotifyListener()
        defer { listener.stop() }
        let health = FakeHealth()
        let notifier = SystemdNotifier(
            socket: try SystemdNotifySocket(path: listener.notifySocket),
            watchdog: SystemdWatchdog(timeout: .milliseconds(400)), health: health,
            statusInterval: .milliseconds(50), logger: Self.logger)
        let group = ServiceGroup(services: [notifier], logger: Self.logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await listener.waitFor("READY") { $0.hasPrefix("READY=1\nSTATUS=readers 1") }
            #expect(listener.messages.first?.hasPrefix("READY=1") == true)

            // Alive: WATCHDOG=1 every ~200 ms, not on every 50 ms status tick. Under load there are fewer pings, never
            // more: at most one per 200 ms of the time it took to see three (+2 for the edges).
            let before = listener.messages.count
            let took = try await listener.waitFor(3, of: "WATCHDOG=1", after: before)
            let alivePings = listener.messages.dropFirst(before).filter { $0 == "WATCHDOG=1" }.count
            #expect(Double(alivePings) <= took / .milliseconds(200) + 2, "\(alivePings) pings in \(took)")

            // A status change goes out on its own.
            health.status.withLock { $0 = "readers 2 · scanners 1" }
            try await listener.waitFor("new STATUS") { $0 == "STATUS=readers 2 · scanners 1" }

            // Stuck: the next check withholds the ping and says why; no ping after that while it stays stuck.
            health.stuck.store(true, ordering: .releasing)
            let stuckAt = try await listener.waitFor("STATUS=stuck") { $0 == "STATUS=stuck: fake pipeline stuck" }
            try await Task.sleep(for: .seconds(1))
            let whileStuck = listener.messages.dropFirst(stuckAt + 1)
            #expect(!whileStuck.contains("WATCHDOG=1"), "pinged while stuck: \(whileStuck)")
            #expect(whileStuck.contains("STATUS=stuck: fake pipeline stuck"))

            // Alive again: pings resume.
            health.stuck.store(false, ordering: .releasing)
            let resumed = listener.messages.count
            try await listener.waitFor("WATCHDOG after recovery", after: resumed) { $0 == "WATCHDOG=1" }

            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        try await listener.waitFor("STOPPING") { $0.hasPrefix("STOPPING=1") }
        #expect(listener.messages.last?.hasPrefix("STOPPING=1") == true)
    }

    /// No timer rebuilds the line here (an hour's status interval, no watchdog): a change goes out because the
    /// health reporter asked for it, and until it asks, the line is not read again.
    @Test func statusFollowsRequestedChangesWithoutPolling() async throws {
        let listener = try NotifyListener()
        defer { listener.stop() }
        let health = FakeHealth()
        let notifier = SystemdNotifier(
            socket: try SystemdNotifySocket(path: listener.notifySocket), watchdog: nil, health: health,
            statusInterval: .seconds(3600), logger: Self.logger)
        let group = ServiceGroup(services: [notifier], logger: Self.logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await listener.waitFor("READY") { $0.hasPrefix("READY=1\nSTATUS=readers 1") }
            // Read once for READY and once on entering the loop; then asleep until a request.
            while health.statusReads.load(ordering: .relaxed) < 2 { try await Task.sleep(for: .milliseconds(10)) }
            try await Task.sleep(for: .milliseconds(300))
            #expect(health.statusReads.load(ordering: .relaxed) == 2, "read without a request")

            for readers in 2...4 {
                health.status.withLock { $0 = "readers \(readers) · scanners 1" }
                health.statusChanges.request()
                try await listener.waitFor("STATUS readers \(readers)") { $0 == "STATUS=readers \(readers) · scanners 1" }
            }
            #expect(!listener.messages.contains("WATCHDOG=1"))

            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        try await listener.waitFor("STOPPING") { $0.hasPrefix("STOPPING=1") }
    }

    @Test func withoutAWatchdogNoPings() async throws {
        let listener = try NotifyListener()
        defer { listener.stop() }
        let notifier = SystemdNotifier(
            socket: try SystemdNotifySocket(path: listener.notifySocket), watchdog: nil, health: FakeHealth(),
            statusInterval: .milliseconds(50), logger: Self.logger)
        let group = ServiceGroup(services: [notifier], logger: Self.logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await listener.waitFor("READY") { $0.hasPrefix("READY=1") }
            try await Task.sleep(for: .milliseconds(400))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        try await listener.waitFor("STOPPING") { $0.hasPrefix("STOPPING=1") }
        #expect(!listener.messages.contains("WATCHDOG=1"))
    }
}
