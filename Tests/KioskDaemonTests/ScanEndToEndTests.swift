import Barcode
import Display
import Foundation
import KioskCore
import KioskDaemon
import KioskTestSupport
import Resolution
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A keyboard-wedge scanner through `kioskd`: a recorded `input_event` stream (Tests/Fixtures/scans) written into a
/// FIFO that the service opens as its configured scanner device, decoded, classified, resolved and drawn.
@Suite(
    .serialized, .pcscdExclusive,
    .enabled(if: PCSCDHarness.isEnabled, "needs root, unshare, pcscd and vsmartcard-vpcd"))
struct ScanEndToEndTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/scans")

    @Test func scannedIDNumberShowsStatusAndABadCheckDigitIsInvalid() async throws {
        let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("kiosk-scanner-\(UUID())").path
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        // O_RDWR keeps the FIFO open without waiting for the daemon to open its end.
        let writer = open(fifo, O_RDWR)
        #expect(writer >= 0)
        defer { close(writer) }

        try await KioskUnderTest.with(
            status: "centralizedObservation",
            configure: {
                $0.scanners = ScannerSettings(discover: false, devices: [fifo], keyboardLayout: .us)
                $0.scanHoldSeconds = 30
            }
        ) { kiosk in
            // "110101194605121231⏎" then "110101194605121232⏎" (check digit wrong), US keyboard country.
            let recording = try Data(contentsOf: Self.fixtures.appendingPathComponent("us-id-numbers.bin"))
            let written = recording.withUnsafeBytes { write(writer, $0.baseAddress, $0.count) }
            #expect(written == recording.count)

            let first = try await kiosk.nextFrame("scan result") { $0.tapToFrame != nil }
            #expect(first.screen.kind == .result(.centralizedObservation))
            #expect(first.screen.maskedID == "110***********1231")
            #expect(first.screen.maskedName == nil, "a scanned number carries no name")
            let second = try await kiosk.nextFrame("bad check digit") { $0.tapToFrame != nil }
            #expect(second.screen.kind == .invalidID)
            let terminal = try await kiosk.terminal.waitForText("集中观察")
            #expect(!terminal.contains("110101194605121231"))
            #expect(try kiosk.visits.count() == 1, "only the valid scan is a visit")
        }
    }
}
