import Display
import Foundation
import KioskCore
@testable import KioskDaemon
import KioskTestSupport
import Logging
import Resolution
import Testing
import VirtualCard

/// The whole tap path through real parts: a virtual senior card on pcscd's vpcd reader, the `KioskService` reading
/// it through pcsc-lite, a real SQLite snapshot and visit log, and the terminal renderer writing to a real
/// pseudo-terminal that the test reads back.
@Suite(
    .serialized, .pcscdExclusive,
    .enabled(if: PCSCDHarness.isEnabled, "needs root, unshare, pcscd and vsmartcard-vpcd"))
struct TapEndToEndTests {
    /// The synthetic person of cards.md §8.1: 王小测, 110101194605121231, PAN 6299999900000000014.
    static let name = "王小测"
    static let idNumber = "110101194605121231"
    static let pan = "6299999900000000014"

    @Test func seniorCardTapShowsStatusMaskedAndReturnsToIdle() async throws {
        try await KioskUnderTest.with(status: "homeObservation", popup: 2) { kiosk in
            let slot = kiosk.harness.slot(0)
            try slot.insert(PBOCCardImage())
            let frame = try await kiosk.nextFrame("result") { $0.screen.kind == .result(.homeObservation) }
            #expect(frame.tapToFrame != nil)
            #expect(frame.screen.maskedName == "王*测")
            #expect(frame.screen.maskedID == "110***********1231")
            #expect(frame.screen.popup?.code == 2)
            #expect(frame.screen.provenance?.zh.contains("离线数据") == true)
            #expect(frame.screen.provenance?.en.contains("Offline data") == true)

            let terminal = try await kiosk.terminal.waitForText("居家观察")
            #expect(terminal.contains("Home observation"))
            #expect(terminal.contains("王*测"))
            #expect(terminal.contains("110***********1231"))
            #expect(!terminal.contains(Self.idNumber))
            #expect(!terminal.contains(Self.name))
            #expect(!terminal.contains(Self.pan))

            #expect(try kiosk.visits.count() == 1)
            let visit = try #require(try kiosk.visits.pending(limit: 10).first)
            #expect(visit.result == "homeObservation")
            #expect(visit.provenance == "snapshot")
            #expect(visit.subjectKey != nil)

            try await kiosk.harness.remove(slot, waitingForReader: 0)
            _ = try await kiosk.nextFrame("idle after removal") { $0.screen.kind == .idle }
            _ = try await kiosk.terminal.waitForText("请刷卡", after: terminal.count)
        }
    }

    @Test func cardPulledBetweenTwoAPDUsAsksToTapAgainAndTheNextTapWorks() async throws {
        try await KioskUnderTest.with(status: "normal") { kiosk in
            let slot = kiosk.harness.slot(0)
            try slot.insert(PBOCCardImage(), removeAfterAPDUs: 3)
            let pulled = try await kiosk.nextFrame("unreadable") {
                if case .unreadableCard = $0.screen.kind { true } else { false }
            }
            #expect(pulled.screen.instruction?.zh.contains("请重新刷卡") == true || pulled.screen.title.zh.contains("读卡"))
            _ = try await kiosk.terminal.waitForText("Please tap again")
            #expect(try kiosk.visits.count() == 0, "no visit for a card that was not read")

            try await kiosk.harness.waitForReader(0, hasCard: false)
            try slot.insert(PBOCCardImage())
            let frame = try await kiosk.nextFrame("result after re-tap") { $0.screen.kind == .result(.normal) }
            #expect(frame.screen.maskedName == "王*测")
            #expect(try kiosk.visits.count() == 1)
            try await kiosk.harness.remove(slot, waitingForReader: 0)
        }
    }

    @Test func pcscdRestartedWhileServingTheNextTapWorks() async throws {
        try await KioskUnderTest.with(status: "centralizedObservation") { kiosk in
            let slot = kiosk.harness.slot(0)
            try slot.insert(PBOCCardImage())
            _ = try await kiosk.nextFrame("first tap") { $0.screen.kind == .result(.centralizedObservation) }
            try await kiosk.harness.remove(slot, waitingForReader: 0)

            kiosk.harness.stop()
            try await Task.sleep(for: .milliseconds(300))
            try kiosk.harness.start()
            try await kiosk.harness.waitForReader(0, hasCard: false)

            try slot.insert(PBOCCardImage())
            let frame = try await kiosk.nextFrame("tap after restart", timeout: .seconds(15)) {
                $0.screen.kind == .result(.centralizedObservation)
            }
            #expect(frame.screen.maskedID == "110***********1231")
            #expect(try kiosk.visits.count() == 2)
            try await kiosk.harness.remove(slot, waitingForReader: 0)
        }
    }

    @Test func unknownPersonAndBadIDNumberGetTheirOwnScreens() async throws {
        try await KioskUnderTest.with(status: "normal") { kiosk in
            let slot = kiosk.harness.slot(0)
            // Valid ID and PAN, but nobody in the snapshot.
            try slot.insert(PBOCCardImage(pan: "6231010000000000136", name: "孙未知", idNumber: "110101195805050102"))
            _ = try await kiosk.nextFrame("unknown") { $0.screen.kind == .unknownPerson }
            try await kiosk.harness.remove(slot, waitingForReader: 0)

            // The ID number's check digit is wrong (…1230 instead of …1231) and the PAN is not known either.
            try slot.insert(PBOCCardImage(pan: "6231010000000000144", name: "钱错号", idNumber: "110101194605121230"))
            _ = try await kiosk.nextFrame("invalid ID") { $0.screen.kind == .invalidID }
            try await kiosk.harness.remove(slot, waitingForReader: 0)
        }
    }

    @Test func socialSecurityCardAndThirdGenerationFallbackShowTheStatus() async throws {
        try await KioskUnderTest.with(status: "homeObservation") { kiosk in
            let slot = kiosk.harness.slot(0)
            // cards.md §8.2: SSN 110101194605121231 is the same person as the snapshot's.
            try slot.insert(SocialSecurityCardImage())
            let frame = try await kiosk.nextFrame("SSC result") { $0.screen.kind == .result(.homeObservation) }
            #expect(frame.screen.maskedName == "王*测")
            #expect(frame.screen.maskedID == "110***********1231")
            try await kiosk.harness.remove(slot, waitingForReader: 0)

            // A spec-3.00 card refusing its holder data without a PSAM falls back to its bank application (PAN).
            try slot.insert(SocialSecurityCardImage.thirdGenerationWithoutPSAM())
            let fallback = try await kiosk.nextFrame("3rd-gen fallback") { $0.tapToFrame != nil }
            #expect(fallback.screen.kind == .result(.homeObservation))
            try await kiosk.harness.remove(slot, waitingForReader: 0)
            #expect(try kiosk.visits.count() == 2)
        }
    }

    @Test func residentIDCardOnThePCSCReaderSaysWhereToPutIt() async throws {
        try await KioskUnderTest.with(status: "normal") { kiosk in
            let slot = kiosk.harness.slot(0)
            try slot.insert(ResidentIDPlainCardImage())
            let frame = try await kiosk.nextFrame("ID card on the wrong reader") { $0.tapToFrame != nil }
            #expect(frame.screen.kind == .idCardOnWrongReader)
            #expect(frame.screen.title == Guidance(zh: "请用身份证读卡器", en: "Use the ID card reader"))
            #expect(frame.screen.instruction?.zh == "这里读不了身份证，请把身份证放在身份证读卡器上")
            _ = try await kiosk.terminal.waitForText("这里读不了身份证，请把身份证放在身份证读卡器上")
            #expect(try kiosk.visits.count() == 0)
            try await kiosk.harness.remove(slot, waitingForReader: 0)
        }
    }

    /// 他人代查 (severalPeopleWindowSeconds on): three different cards tapped in a row, each while the previous result
    /// is still on screen, end on one screen of three tiles, oldest first; each tap is its own visit.
    @Test func severalPeopleTappedInARowShareOneScreen() async throws {
        let people = try Data(contentsOf: KioskUnderTest.demoPeopleFile)
        let cards = Array(
            try DemoCardList(contentsOf: KioskUnderTest.demoPeopleFile).taps.filter { $0.removeAfterAPDUs == nil }
                .prefix(3))
        try await KioskUnderTest.with(people: people, configure: {
            $0.severalPeopleWindowSeconds = 60
            $0.minimumHoldSeconds = 20
        }) { kiosk in
            let slot = kiosk.harness.slot(0)
            var last: DrawnFrame?
            for (index, card) in cards.enumerated() {
                try slot.insert(card.image)
                last = try await kiosk.nextFrame("tap \(index)") { $0.tapToFrame != nil }
                try await kiosk.harness.remove(slot, waitingForReader: 0)
                if index == 0 {
                    #expect(last?.screen.tiles.isEmpty == true)
                    guard case .result = last?.screen.kind else {
                        Issue.record("the first tap shows its own result")
                        return
                    }
                }
            }
            let screen = try #require(last).screen
            #expect(screen.kind == .severalPeople)
            #expect(screen.tiles.count == 3)
            #expect(try kiosk.visits.count() == 3)
        }
    }

    /// Every demo card of `Tests/Fixtures/demo-people.json`, tapped in turn, draws the screen its person calls for
    /// (the result of their status, unknown person, or invalid ID number), with a tap-to-frame figure on the frame.
    /// (Speed is measured by `kiosk-bench tap` in Benchmarks/, `make bench`.)
    @Test func everyDemoCardShowsItsPersonsScreen() async throws {
        let people = try Data(contentsOf: KioskUnderTest.demoPeopleFile)
        let cards = try DemoCardList(contentsOf: KioskUnderTest.demoPeopleFile).taps.filter { $0.removeAfterAPDUs == nil }
        let expected = try JSONDecoder().decode(DemoPeople.self, from: people).people.filter { $0.pan != nil }
        try #require(cards.count == expected.count)
        try await KioskUnderTest.with(people: people) { kiosk in
            let slot = kiosk.harness.slot(0)
            for (card, person) in zip(cards, expected) {
                try slot.insert(card.image)
                let frame = try await kiosk.nextFrame("tap \(card.label)") { $0.tapToFrame != nil }
                #expect(frame.screen.kind == person.expectedKind, "\(card.label)")
                try await kiosk.harness.remove(slot, waitingForReader: 0)
            }
        }
    }
}

/// What the demo file says each person's tap should show.
private struct DemoPeople: Decodable {
    struct Person: Decodable {
        var idNumber: String?
        var pan: String?
        var status: String
        var inSnapshot: Bool?

        var expectedKind: Screen.Kind {
            if inSnapshot == false {
                let idValid = idNumber.map { (try? ResidentIDNumber(validating: $0)) != nil } ?? true
                return idValid ? .unknownPerson : .invalidID
            }
            return .result(HealthStatus(rawValue: status)!)
        }
    }

    var people: [Person]
}
