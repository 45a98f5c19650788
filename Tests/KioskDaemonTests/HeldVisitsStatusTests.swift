import Display
import Foundation
import KioskCore
@testable import KioskDaemon
import KioskTestSupport
import Resolution
import Testing

/// The `STATUS=` line systemd shows while the visit log's disk is full, over the real `KioskService` (pcscd with
/// vpcd, the SQLite visit log on a 2 MiB ``SmallTmpfs``, the ``HoldingVisitRecorder``) and the real
/// ``SystemdNotifier`` sending to a datagram socket.
@Suite(
    .serialized, .pcscdExclusive,
    .enabled(if: PCSCDHarness.isEnabled, "needs root, unshare, pcscd and vsmartcard-vpcd"))
struct HeldVisitsStatusTests {
    /// Taps on a full disk are answered and their visits held in memory: `STATUS=` says how many, for the technician
    /// running `systemctl status`. Once space returns the kiosk writes them (its retry, without another tap) and the
    /// line goes, leaving the visits waiting for upload.
    @Test func statusSaysHowManyVisitsAreHeldInMemoryUntilTheyAreWritten() async throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("kiosk-held-\(UUID())").path
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: state) }
        let tmpfs = try SmallTmpfs(mountingAt: state)
        defer { tmpfs.unmount() }
        let listener = try NotifyListener()
        defer { listener.stop() }
        var assembly = KioskUnderTest.Assembly()
        assembly.notify(listener)
        try await KioskUnderTest.with(
            status: "normal",
            configure: {
                $0.scanners.discover = false
                $0.visitLogPath = state + "/visits.sqlite"
            }, assembly: assembly
        ) { kiosk in
            let slot = kiosk.harness.slot(0)
            try await listener.waitFor("READY") { $0.hasPrefix("READY=1\nSTATUS=") }
            // A tap while the disk has room: written at once.
            let first = listener.messages.count
            try await kiosk.expectNextTap("tap with room", on: slot, shows: .normal, visits: 1)
            try await listener.waitFor("STATUS with 1 visit waiting", after: first) {
                $0.hasPrefix("STATUS=") && $0.hasSuffix("· 1 visit waiting")
            }

            // The disk fills: two taps are answered, their visits held in memory, and STATUS= says so.
            #expect(await onOwnThread("fill the tmpfs") { tmpfs.fill() } > 0)
            let full = listener.messages.count
            try await kiosk.expectNextTap("first tap on a full disk", on: slot, shows: .normal, visits: 1)
            try await kiosk.expectNextTap("second tap on a full disk", on: slot, shows: .normal, visits: 1)
            #expect(kiosk.service.recorder.heldCount == 2)
            let held = try await listener.waitFor("STATUS with 2 visits held", after: full) {
                $0.hasPrefix("STATUS=") && $0.contains("2 visits held in memory")
            }
            let heldLine = "· 1 visit waiting · 2 visits held in memory: the visit log cannot be written"
            #expect(listener.messages[held].hasSuffix(heldLine), "\(listener.messages[held])")

            // Space returns: the held visits are written and the line goes; three visits wait for upload.
            let freed = listener.messages.count
            tmpfs.free()
            let written = try await listener.waitFor("STATUS without held visits", after: freed) {
                $0.hasPrefix("STATUS=") && !$0.contains("held in memory")
            }
            #expect(listener.messages[written].hasSuffix("· 3 visits waiting"), "\(listener.messages[written])")
            #expect(kiosk.service.recorder.heldCount == 0)
            #expect(try kiosk.visits.count() == 3)
        }
    }
}
