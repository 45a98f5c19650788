import CPCSCLite
import Display
import Foundation
import KioskCore
@testable import KioskDaemon
import KioskTestSupport
import Logging
import Resolution
import SmartCard
import Testing
import VirtualCard

#if canImport(Glibc)
import Glibc
#endif

/// The fault matrix for cards and pcscd (issue 7), end to end through the kiosk service: virtual cards on the real
/// pcscd + vpcd, the tap pipeline, the SQLite snapshot and visit log, the terminal renderer on a pseudo-terminal.
/// Every row asserts the screen, the log line and the next tap. See ``FaultMatrix`` for the longer variant.
@Suite(
    .serialized, .pcscdExclusive,
    .enabled(if: PCSCDHarness.isEnabled, "needs root, unshare, pcscd and vsmartcard-vpcd"))
struct FaultMatrixCardTests {
    /// The card profiles a kiosk reads, each with the §8.1/§8.2 person (110101194605121231) on it.
    enum Profile: String, CaseIterable, Sendable, CustomTestStringConvertible {
        /// 养老助残卡: PBOC debit/credit application (cards.md §8.1).
        case pbocSeniorCard
        /// 社保卡, second generation: SSSE holder data (cards.md §8.2).
        case socialSecurityCard
        /// 社保卡 spec 3.00 without a PSAM: SSSE refuses, the bank application is read instead.
        case socialSecurityFallingBackToPBOC
        /// A T=0 senior card: every answer through GET RESPONSE (`61 XX`), wrong Le corrected (`6C XX`).
        case pbocT0GetResponse
        /// A senior card without PPSE or PSE: found by trying the known AIDs.
        case pbocWithoutDirectory

        var image: any CardImage {
            switch self {
            case .pbocSeniorCard: PBOCCardImage()
            case .socialSecurityCard: SocialSecurityCardImage()
            case .socialSecurityFallingBackToPBOC: SocialSecurityCardImage.thirdGenerationWithoutPSAM()
            case .pbocT0GetResponse: PBOCCardImage(variant: [.t0GetResponse, .wrongLe])
            case .pbocWithoutDirectory: PBOCCardImage(variant: [.noPPSE, .noDirectory])
            }
        }

        /// The profiles of the default run (each kind of read once); the long run adds the transport variants.
        static var matrix: [Profile] {
            FaultMatrix.long ? allCases : [.pbocSeniorCard, .socialSecurityCard, .socialSecurityFallingBackToPBOC]
        }

        var testDescription: String { rawValue }
    }

    static let idNumber = "110101194605121231"

    // MARK: card removed after each APDU

    /// The card leaves the field after each APDU index of its profile's read in turn (0 = before the first answer),
    /// counted from a whole read of the same card first.
    @Test(arguments: Profile.matrix)
    func cardPulledAfterEachAPDUAsksToTapAgain(profile: Profile) async throws {
        let log = FaultLog()
        try await KioskUnderTest.with(
            status: "homeObservation", configure: { $0.scanners.discover = false }, assembly: log.assembly
        ) { kiosk in
            let slot = kiosk.harness.slot(0)
            try slot.insert(profile.image)
            let whole = try await kiosk.nextFrame("whole read", timeout: .seconds(20)) { $0.tapToFrame != nil }
            #expect(whole.screen.kind == .result(.homeObservation), "\(profile): a whole read")
            let apdus = slot.apdusAnswered
            try #require(apdus >= 2, "\(profile) read with \(apdus) APDUs")
            try await kiosk.harness.remove(slot, waitingForReader: 0)
            var visits = try kiosk.visits.count()
            #expect(visits == 1)

            for index in 0..<apdus {
                let mark = log.count
                try slot.insert(profile.image, removeAfterAPDUs: index)
                let (frame, line) = try await kiosk.expectTapAgain(
                    "\(profile) pulled after APDU \(index)", log: log, since: mark)
                #expect(frame.result == "cardNotRead", "\(profile) pulled after APDU \(index)")
                #expect(line.metadata["kiosk.event"] == "card_tap")
                #expect(slot.apdusAnswered == index, "the card answered \(index) APDUs before it left")
                #expect(await slot.waitUntilRemoved(timeout: .seconds(10)))
                try await kiosk.harness.waitForReader(0, hasCard: false, timeout: .seconds(10))
                #expect(try kiosk.visits.count() == visits, "no visit for a card that was not read")

                if FaultMatrix.long {
                    try await kiosk.expectNextTap(
                        "\(profile): whole read after \(index)", card: profile.image, on: slot, shows: .homeObservation,
                        visits: nil)
                    visits += 1
                }
            }

            // The next tap after the last pull reads the whole card again.
            let mark = log.count
            let next = try await kiosk.expectNextTap(
                "whole read after the pulls", card: profile.image, on: slot, shows: .homeObservation,
                visits: visits + 1)
            #expect(next.screen.maskedID == "110***********1231")
            #expect(try await log.tapShown(since: mark).metadata["kiosk.result"] == "homeObservation")
            print("fault matrix: \(profile): pulled after each of its \(apdus) APDUs, every time 'tap again'")
            let terminal = kiosk.terminal.text
            #expect(!terminal.contains(Self.idNumber))
        }
    }

    // MARK: cards answering garbage, nothing, or 1 KB

    enum Misbehaviour: String, CaseIterable, Sendable, CustomTestStringConvertible {
        /// `6D 00` to everything: an unknown scheme, or garbage status words.
        case garbageStatus
        /// One byte: shorter than a status word.
        case oneByte
        /// 1022 bytes of pattern + `90 00`: a 1 KB "success" that parses as nothing.
        case oneKilobyte

        func insert(into slot: VirtualCardSlot) throws {
            switch self {
            case .garbageStatus: try slot.insert(DeadCardImage(.instructionNotSupported))
            case .oneByte: try slot.insert(DeadCardImage(.oneByte))
            case .oneKilobyte: try slot.insert(DeadCardImage(.oversized))
            }
        }

        var testDescription: String { rawValue }
    }

    @Test(arguments: Misbehaviour.allCases)
    func misbehavingCardIsNotRecognisedAndTheNextTapWorks(misbehaviour: Misbehaviour) async throws {
        let log = FaultLog()
        try await KioskUnderTest.with(
            status: "normal", configure: { $0.scanners.discover = false }, assembly: log.assembly
        ) { kiosk in
            let slot = kiosk.harness.slot(0)
            let mark = log.count
            try misbehaviour.insert(into: slot)
            let frame = try await kiosk.nextFrame("\(misbehaviour) card", timeout: .seconds(20)) {
                $0.tapToFrame != nil
            }
            #expect(frame.screen.kind == .unreadableCard(CardError.unsupportedCard.guidance), "\(misbehaviour)")
            _ = try await kiosk.terminal.waitForText("无法识别此卡")
            let line = try await log.tapShown(since: mark)
            #expect(line.metadata["kiosk.result"] == "cardNotRead")
            #expect(line.metadata["kiosk.error"] == "\(CardError.unsupportedCard)")
            print(
                "fault matrix: \(misbehaviour) card given up after \(slot.apdusAnswered) APDUs, "
                    + "tap to frame \(frame.tapToFrame.map { String(format: "%.0f ms", $0.milliseconds) } ?? "-")")
            try await kiosk.harness.remove(slot, waitingForReader: 0)
            #expect(try kiosk.visits.count() == 0)

            try await kiosk.expectNextTap(on: slot, shows: .normal, visits: 1)
        }
    }

    /// A card that answers nothing at all. vpcd has no response timeout (a CCID reader would give up after the
    /// card's waiting time and report `SCARD_E_NOT_TRANSACTED`), so the kiosk's read waits: no screen is drawn,
    /// the pipeline reports the tap in progress (what the watchdog reads), and once the person takes the card away
    /// the screen asks to tap again and the next tap works.
    @Test func muteCardShowsNothingUntilTakenAwayThenTheNextTapWorks() async throws {
        let log = FaultLog()
        try await KioskUnderTest.with(
            status: "normal", configure: { $0.scanners.discover = false }, assembly: log.assembly
        ) { kiosk in
            let slot = kiosk.harness.slot(0)
            let mark = log.count
            try slot.insert(SilentAnswerCard())
            let deadline = ContinuousClock.now + .seconds(20)
            while slot.apdusAnswered == 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            try #require(slot.apdusAnswered == 1, "the kiosk sent its first command")
            try await Task.sleep(for: .milliseconds(500))
            #expect(log.tapsShown(since: mark).isEmpty, "nothing to show while the card says nothing")
            #expect(await kiosk.service.pipeline.busyDuration() != nil, "the stuck read is visible to the watchdog")
            #expect(slot.apdusAnswered == 1, "no second command while the first is unanswered")

            try await kiosk.harness.remove(slot, waitingForReader: 0)
            _ = try await kiosk.expectTapAgain("mute card taken away", log: log, since: mark)

            try await kiosk.expectNextTap(on: slot, shows: .normal, visits: 1)
        }
    }

    // MARK: reset by another PC/SC client mid-read

    @Test(arguments: [Profile.pbocSeniorCard, .socialSecurityCard])
    func cardResetByAnotherClientMidReadAsksToTapAgain(profile: Profile) async throws {
        let log = FaultLog()
        try await KioskUnderTest.with(
            status: "homeObservation", configure: { $0.scanners.discover = false }, assembly: log.assembly
        ) { kiosk in
            let slot = kiosk.harness.slot(0)
            let reader = kiosk.harness.readerNames[0]
            let reached = Signal()
            let mark = log.count
            try Self.insertHeld(profile, index: 1, hold: .milliseconds(300), reached: reached, into: slot)
            try await reached.wait("the kiosk's second APDU")
            let resetsBefore = slot.statistics.resets
            try await onOwnThread("reset by another client") { try Self.resetCard(in: reader) }
            #expect(slot.statistics.resets > resetsBefore, "the other client's reset reached the card")

            _ = try await kiosk.expectTapAgain("\(profile) reset mid-read", log: log, since: mark)
            #expect(try kiosk.visits.count() == 0)
            try await kiosk.harness.remove(slot, waitingForReader: 0)

            try await kiosk.expectNextTap(card: profile.image, on: slot, shows: .homeObservation, visits: 1)
        }
    }

    private static func insertHeld(
        _ profile: Profile, index: Int, hold: Duration, reached: Signal, into slot: VirtualCardSlot
    ) throws {
        func insert(_ image: some CardImage) throws {
            try slot.insert(HeldAnswerCard(image, holdingAnswer: index, for: hold, reached: reached))
        }
        try insert(profile.image)
    }

    /// Another PC/SC client: connects shared to `reader`, resets the card (`SCardReconnect` with
    /// `SCARD_RESET_CARD`) and disconnects leaving it. Blocking.
    static func resetCard(in reader: String) throws {
        let context = try PCSCContext.establish()
        defer { context.release() }
        var handle: SCARDHANDLE = 0
        var active: DWORD = 0
        let protocols = DWORD(SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1)
        let connected = SCardConnect(context.handle, reader, DWORD(SCARD_SHARE_SHARED), protocols, &handle, &active)
        guard connected == 0 else { throw TestFailure("SCardConnect: \(Self.hex(connected))") }
        let reset = SCardReconnect(handle, DWORD(SCARD_SHARE_SHARED), protocols, DWORD(SCARD_RESET_CARD), &active)
        _ = SCardDisconnect(handle, DWORD(SCARD_LEAVE_CARD))
        guard reset == 0 else { throw TestFailure("SCardReconnect: \(Self.hex(reset))") }
    }

    private static func hex(_ code: Int) -> String { "0x" + String(UInt32(truncatingIfNeeded: code), radix: 16) }

    // MARK: two readers at the same moment

    /// Two people tap on the two readers at once: each gets their own screen in turn, each tap is a visit, and the
    /// log names each reader.
    @Test func twoReadersTappedAtTheSameMoment() async throws {
        let people = """
            {"epoch": 3, "sequence": 7, "createdHoursAgo": 2, "people": [
              {"name": "王小测", "idNumber": "110101194605121231", "pan": "6299999900000000014",
               "status": "homeObservation"},
              {"name": "孙未知", "idNumber": "110101195805050102", "pan": "6231010000000000136",
               "status": "centralizedObservation"}]}
            """
        let log = FaultLog()
        try await KioskUnderTest.with(
            people: Data(people.utf8),
            configure: {
                $0.scanners.discover = false
                $0.ignoredReaderNames = []
            }, assembly: log.assembly
        ) { kiosk in
            let first = kiosk.harness.slot(0)
            let second = kiosk.harness.slot(1)
            let secondCard = PBOCCardImage(
                pan: "6231010000000000136", name: "孙未知", idNumber: "110101195805050102")
            let mark = log.count
            try first.insert(PBOCCardImage())
            try second.insert(secondCard)
            let a = try await kiosk.nextFrame("first of two", timeout: .seconds(20)) { $0.tapToFrame != nil }
            let b = try await kiosk.nextFrame("second of two", timeout: .seconds(20)) { $0.tapToFrame != nil }
            #expect(
                Set([a.screen.kind, b.screen.kind]) == [.result(.homeObservation), .result(.centralizedObservation)])
            _ = try await log.waitFor("two taps", since: mark) { _ in log.tapsShown(since: mark).count >= 2 }
            let lines = log.tapsShown(since: mark)
            #expect(Set(lines.compactMap { $0.metadata["kiosk.reader"] }) == Set(kiosk.harness.readerNames))
            #expect(
                Set(lines.compactMap { $0.metadata["kiosk.result"] }) == ["homeObservation", "centralizedObservation"])
            #expect(try kiosk.visits.count() == 2)

            try await kiosk.harness.remove(first, waitingForReader: 0)
            try await kiosk.harness.remove(second, waitingForReader: 1)
            try await kiosk.expectNextTap(
                card: secondCard, on: second, reader: 1, shows: .centralizedObservation, visits: 3)
        }
    }

    // MARK: pcscd

    /// pcscd dies (SIGKILL) while a card is being read; its readers vanish with it (the reader set changes under the
    /// read). The person is told to ask staff, the idle screen then says the reader is not available, the log has the
    /// reader error, the reader gone and pcscd failing; once pcscd is back the idle screen invites a tap again and
    /// the next tap works.
    @Test func pcscdKilledMidReadThenRestartedTheNextTapWorks() async throws {
        let log = FaultLog()
        try await KioskUnderTest.with(
            status: "normal",
            configure: {
                $0.scanners.discover = false
                $0.holdSeconds = 1
            }, assembly: log.assembly
        ) { kiosk in
            let harness = kiosk.harness
            let slot = harness.slot(0)
            let reached = Signal()
            let mark = log.count
            try slot.insert(
                HeldAnswerCard(PBOCCardImage(), holdingAnswer: 1, for: .milliseconds(300), reached: reached))
            try await reached.wait("the kiosk's second APDU")
            try Self.killPCSCD(harness)

            let frame = try await kiosk.nextFrame("read cut by pcscd's death", timeout: .seconds(20)) {
                $0.tapToFrame != nil
            }
            guard case .unreadableCard(let guidance) = frame.screen.kind else {
                Issue.record("pcscd killed mid-read showed \(frame.screen.kind)")
                return
            }
            // The reader failed (SCARD_F_COMM_ERROR or SCARD_E_NO_SERVICE), not the card: staff must look.
            #expect(guidance == .askStaff)
            let line = try await log.tapShown(since: mark)
            #expect(line.metadata["kiosk.result"] == "cardNotRead")
            #expect(line.metadata["kiosk.error"]?.hasPrefix("reader error SCARD_") == true, "\(line.text)")
            _ = try await kiosk.nextFrame("out of service", timeout: .seconds(20)) {
                $0.screen.kind == .message(TapPipeline.outOfServiceGuidance)
            }
            let failing = try await log.waitFor("pcscd failing", since: mark) {
                $0.level == .warning && $0.metadata["kiosk.device"] == "pcscd"
            }
            #expect(failing.message.contains("failing"))
            // The reader set changed under the read: the kiosk's reader went with pcscd (00 01 is ignored here).
            let reader = harness.readerNames[0]
            _ = try await log.waitFor("\(reader) absent", since: mark) {
                $0.metadata["kiosk.device"] == reader && $0.message.hasSuffix("absent")
            }
            #expect(try kiosk.visits.count() == 0)

            let restart = log.count
            try await onOwnThread("restart pcscd") {
                harness.stop()
                try harness.start()
            }
            _ = try await kiosk.nextFrame("idle once pcscd is back", timeout: .seconds(20)) { $0.screen.kind == .idle }
            _ = try await log.waitFor("pcscd ready", since: restart) {
                $0.level == .notice && $0.metadata["kiosk.device"] == "pcscd"
            }
            try await harness.waitForReader(0, hasCard: false)
            try await kiosk.expectNextTap(on: slot, shows: .normal, visits: 1)
        }
    }

    /// kioskd starts while pcscd is not running: the screen says the reader is not available (not "tap your card"),
    /// the log says pcscd is failing; when pcscd starts the idle screen comes back and a tap works.
    @Test func pcscdNotRunningAtStartThenStartedTheTapWorks() async throws {
        let log = FaultLog()
        var assembly = log.assembly
        assembly.startsPCSCD = false
        let harness = try PCSCDHarness.shared()
        await onOwnThread("stop pcscd") { harness.stop() }
        try await KioskUnderTest.with(
            status: "normal", configure: { $0.scanners.discover = false }, assembly: assembly
        ) { kiosk in
            _ = try await kiosk.nextFrame("out of service", timeout: .seconds(20)) {
                $0.screen.kind == .message(TapPipeline.outOfServiceGuidance)
            }
            _ = try await kiosk.terminal.waitForText("读卡器暂不可用", timeout: .seconds(10))
            _ = try await log.waitFor("pcscd failing", since: 0) {
                $0.level == .warning && $0.metadata["kiosk.device"] == "pcscd"
            }

            let started = log.count
            try await onOwnThread("start pcscd") { try harness.start() }
            _ = try await kiosk.nextFrame("idle once pcscd runs", timeout: .seconds(20)) { $0.screen.kind == .idle }
            _ = try await log.waitFor("pcscd ready", since: started) {
                $0.level == .notice && $0.metadata["kiosk.device"] == "pcscd"
            }
            try await harness.waitForReader(0, hasCard: false)
            try await kiosk.expectNextTap("first tap", on: harness.slot(0), shows: .normal, visits: 1)
        }
    }

    /// SIGKILL to the harness's pcscd (its pid file in the harness's private /run/pcscd). The harness reaps it on
    /// the next ``PCSCDHarness/stop()``.
    static func killPCSCD(_ harness: PCSCDHarness) throws {
        let pidFile = harness.directory + "/run/pcscd.pid"
        let text = try String(contentsOfFile: pidFile, encoding: .utf8)
        guard let pid = Int32(String(text.prefix { $0.isASCII && $0.isNumber })), pid > 1 else {
            throw TestFailure("no pid in \(pidFile)")
        }
        guard kill(pid, SIGKILL) == 0 else { throw TestFailure("kill(\(pid)): errno \(errno)") }
    }
}
