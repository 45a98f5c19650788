import Foundation
import KioskCore
import Testing

@testable import Display

/// The screens issue 5 added to the layout: an ID card on the wrong reader, an unusable code, 他人代查.
@Suite struct MoreScreensTests {
    @Test func anIDCardOnTheWrongReaderSaysWhichReaderToUse() {
        let screen = Sample.screen(.idCardOnWrongReader)
        #expect(screen.kind == .idCardOnWrongReader)
        #expect(screen.title == Guidance(zh: "请用身份证读卡器", en: "Use the ID card reader"))
        #expect(screen.instruction?.en.contains("ID card reader") == true)
        #expect(screen.tone == .neutral)
        #expect(screen.icon == .card)
    }

    @Test func anUnusableCodeSaysWhyAndWhatToDoInstead() {
        let why = Guidance(zh: "本机暂不支持欧盟健康证书", en: "EU certificates are not supported at this kiosk")
        let screen = Sample.screen(.codeNotRecognised(why))
        #expect(screen.kind == .codeNotRecognised(why))
        #expect(screen.title.en == "This code cannot be used")
        #expect(
            screen.instruction
                == Guidance(
                    zh: "本机暂不支持欧盟健康证书。请刷卡或出示健康码",
                    en: "EU certificates are not supported at this kiosk. Please tap your card or show your health code"))
        #expect(screen.icon == .questionInCircle)
    }

    func person(_ status: HealthStatus, name: String, provenance: Provenance) -> TappedPerson {
        TappedPerson(
            resolution: Resolution(
                outcome: .found(Sample.record(status), matched: Sample.key), provenance: provenance,
                resolvedAt: Sample.now),
            name: name, identity: Sample.identity)
    }

    @Test func severalPeopleShowTheLastFourWithTheWorstHeadline() {
        let offline = Provenance.snapshot(sequence: 3, asOf: Sample.asOf)
        let people = [
            person(.centralizedObservation, name: "甲一二", provenance: .online),
            person(.normal, name: "乙一二", provenance: .online),
            person(.homeObservation, name: "丙一二", provenance: offline),
            person(.normal, name: "丁一二", provenance: .online),
            person(.normal, name: "戊一二", provenance: .online),
        ]
        let screen = Sample.screen(.severalPeople(people))
        #expect(screen.kind == .severalPeople)
        #expect(screen.tiles.compactMap(\.maskedName) == ["乙*二", "丙*二", "丁*二", "戊*二"], "the oldest left")
        #expect(screen.tiles.map(\.tone) == [.green, .yellow, .green, .green])
        #expect(screen.tone == .yellow)
        #expect(screen.icon == .exclamationInTriangle)
        #expect(screen.title == Guidance(zh: "他人代查 · 4 人", en: "Checking for others · 4 people"))
        #expect(screen.provenance?.en == "Offline data as of 11-29 08:00", "the weakest source is named")
        #expect(screen.tiles.allSatisfy { $0.maskedID == "110***********002X" })
    }
}
