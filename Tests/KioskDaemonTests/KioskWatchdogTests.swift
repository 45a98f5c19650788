import Display
import Foundation
import KioskDaemon
import KioskTestSupport
import Logging
import ServiceLifecycle
import Synchronization
import Testing
import VirtualCard

/// The systemd notifier over the real `KioskService` (pcscd with vpcd, SQLite snapshot and visit log, the renderer on
/// a pseudo-terminal), sending to a real datagram socket: READY once the kiosk runs, a STATUS line built from the
/// real inputs, WATCHDOG=1 at about half of a short WATCHDOG_USEC, and none once the tap pipeline is stuck, here
/// because its renderer stops returning mid-tap (the test seam: ``StallableRenderer``).
@Suite(
    .serialized, .pcscdExclusive,
    .enabled(if: PCSCDHarness.isEnabled, "needs root, unshare, pcscd and vsmartcard-vpcd"))
struct KioskWatchdogTests {
    @Test func watchdogFollowsTheRealPipeline() async throws {
        let listener = try NotifyListener()
        defer { listener.stop() }
        let renderer = StallableRenderer.Switch()
        var assembly = KioskUnderTest.Assembly()
        assembly.wrapRenderer = { StallableRenderer(inner: $0, control: renderer) }
        assembly.notify(listener, watchdog: SystemdWatchdog(timeout: .milliseconds(600)))
        try await KioskUnderTest.with(
            status: "normal",
            configure: {
                $0.tapStallSeconds = 1
                $0.scanners.discover = false
            }, assembly: assembly
        ) { kiosk in
            try await listener.waitFor("READY") { $0.hasPrefix("READY=1\nSTATUS=") }
            // The status line from the real parts: the harness's reader 00 00 (00 01 is ignored), the §8.1
            // snapshot (sequence 7), snapshot-only, an empty visit log.
            try await listener.waitFor("STATUS with the reader") {
                $0.contains("readers 1 · scanners 0") && $0.contains("snapshot #7")
                    && $0.contains("snapshot only · 0 visits waiting")
            }

            // Alive: pings every ~300 ms (half of 600 ms); fewer under load, never more than one per 300 ms (+2).
            let before = listener.messages.count
            let took = try await listener.waitFor(3, of: "WATCHDOG=1", after: before)
            let alivePings = listener.messages.dropFirst(before).filter { $0 == "WATCHDOG=1" }.count
            #expect(Double(alivePings) <= took / .milliseconds(300) + 2, "\(alivePings) pings in \(took)")

            // Stall: the renderer stops returning, then a tap arrives (a reader that does not exist: the read
            // fails, the pipeline draws the problem screen and hangs there).
            renderer.stall()
            let pipeline = kiosk.service.pipeline
            let tap = Task { await pipeline.handle(.cardPresent(reader: "no such reader", atr: [0x3B], at: .now)) }
            let stuckAt = try await listener.waitFor("STATUS=stuck") { $0.hasPrefix("STATUS=stuck: tap pipeline stuck") }
            try await Task.sleep(for: .seconds(1.5))
            let whileStuck = Array(listener.messages.dropFirst(stuckAt + 1))
            #expect(!whileStuck.contains("WATCHDOG=1"), "pinged while the pipeline was stuck: \(whileStuck)")

            // The renderer returns again: the tap finishes and the pings come back.
            renderer.release()
            await tap.value
            let resumedFrom = listener.messages.count
            try await listener.waitFor("WATCHDOG after recovery", after: resumedFrom) { $0 == "WATCHDOG=1" }
        }
        try await listener.waitFor("STOPPING") { $0.hasPrefix("STOPPING=1") }
    }
    /// No timer to lean on here (an hour's status interval, no watchdog): the STATUS line still follows the real
    /// kiosk, because its parts ask for a new line when what it shows changes: the reader arriving (the health
    /// board) and a tap's visit (the visit recorder).
    @Test func statusFollowsTheKioskWithoutPolling() async throws {
        let listener = try NotifyListener()
        defer { listener.stop() }
        var assembly = KioskUnderTest.Assembly()
        let socketPath = listener.notifySocket
        assembly.extraServices = { service in
            var logger = Logger(label: "kiosk.test.notifier")
            logger.logLevel = .critical
            return [
                SystemdNotifier(
                    socket: try SystemdNotifySocket(path: socketPath), watchdog: nil, health: service,
                    statusInterval: .seconds(3600), logger: logger)
            ]
        }
        try await KioskUnderTest.with(
            status: "normal", configure: { $0.scanners.discover = false }, assembly: assembly
        ) { kiosk in
            try await listener.waitFor("STATUS with the reader", timeout: .seconds(20)) {
                $0.contains("readers 1 · ") && $0.contains("0 visits waiting")
            }
            let slot = kiosk.harness.slot(0)
            try slot.insert(PBOCCardImage())
            _ = try await kiosk.nextFrame("tap", timeout: .seconds(20)) { $0.tapToFrame != nil }
            try await listener.waitFor("STATUS after the tap", timeout: .seconds(20)) {
                $0.hasPrefix("STATUS=readers 1 · ") && $0.hasSuffix("1 visit waiting")
            }
            try await kiosk.harness.remove(slot, waitingForReader: 0)
            #expect(!listener.messages.contains("WATCHDOG=1"))
        }
    }
}

/// A renderer that draws through another until told to stall; then every draw waits until released. The watchdog
/// test's way to get a tap stuck in the real pipeline.
struct StallableRenderer: Renderer {
    final class Switch: Sendable {
        private let state = Mutex<(stalled: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

        func stall() { state.withLock { $0.stalled = true } }

        func release() {
            let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
                s.stalled = false
                defer { s.waiters = [] }
                return s.waiters
            }
            for waiter in waiters { waiter.resume() }
        }

        func passThrough() async {
            await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
                let wait = state.withLock { s -> Bool in
                    guard s.stalled else { return false }
                    s.waiters.append(waiter)
                    return true
                }
                if !wait { waiter.resume() }
            }
        }
    }

    let inner: any Renderer
    let control: Switch

    func draw(_ screen: Screen) async throws {
        await control.passThrough()
        try await inner.draw(screen)
    }
}
