import Display
import Foundation
import KioskCore
import KioskDaemon
import KioskTestSupport
import Resolution
import SmartCard
import Testing
import VirtualCard

/// A resident ID card on a GA 467 SAM reader, through `kioskd`: the test plays the SAM module on a real
/// pseudo-terminal, the service opens the replica as its SAM device.
@Suite(
    .serialized, .pcscdExclusive,
    .enabled(if: PCSCDHarness.isEnabled, "needs root, unshare, pcscd and vsmartcard-vpcd"))
struct SAMEndToEndTests {
    @Test func idCardOnTheSAMReaderShowsStatusThenIdleAfterRemoval() async throws {
        let pty = try SmartCard.PseudoTerminal()
        defer { pty.close() }
        let module = SAMModuleEmulator(descriptor: pty.primary, card: nil)
        module.start()
        defer { module.stop() }
        try await KioskUnderTest.with(status: "homeObservation", configure: { $0.samDevicePath = pty.replicaPath }) {
            kiosk in
            module.insert(SAMCardImage.wangXiaoce)
            let frame = try await kiosk.nextFrame("ID card result") { $0.screen.kind == .result(.homeObservation) }
            #expect(frame.screen.maskedName == "王*测")
            #expect(frame.screen.maskedID == "110***********1231")
            let terminal = try await kiosk.terminal.waitForText("居家观察")
            #expect(!terminal.contains("110101194605121231"))
            #expect(try kiosk.visits.count() == 1)

            module.removeCard()
            _ = try await kiosk.nextFrame("idle after the ID card left") { $0.screen.kind == .idle }
            #expect(module.count(of: .readText) == 1, "read once while it stayed")
        }
    }

    @Test func idCardTakenAwayMidReadAsksToTryAgainAndABadNumberIsInvalid() async throws {
        let pty = try SmartCard.PseudoTerminal()
        defer { pty.close() }
        let module = SAMModuleEmulator(descriptor: pty.primary, card: nil)
        module.start()
        defer { module.stop() }
        try await KioskUnderTest.with(status: "normal", configure: { $0.samDevicePath = pty.replicaPath }) { kiosk in
            module.takeCardAwayDuringNextRead()
            module.insert(SAMCardImage.wangXiaoce)
            _ = try await kiosk.nextFrame("read failed") {
                if case .unreadableCard = $0.screen.kind { true } else { false }
            }
            #expect(try kiosk.visits.count() == 0)
            module.removeCard()
            try await Task.sleep(for: .milliseconds(600))

            // …1230 fails GB 11643 (the right check digit is 1).
            module.insert(
                SAMCardImage.residentID(
                    name: "钱错号", sex: "1", ethnicity: "01", birthDate: "19460512", address: "北京市东城区测试胡同2号",
                    number: "110101194605121230", authority: "北京市公安局东城分局", validFrom: "20160101", validTo: "长期"))
            _ = try await kiosk.nextFrame("invalid ID") { $0.screen.kind == .invalidID }
            module.removeCard()
        }
    }
}
