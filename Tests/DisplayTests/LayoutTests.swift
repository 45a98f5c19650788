import Foundation
import KioskCore
import Testing

@testable import Display

enum Sample {
    static let shanghai = TimeZone(identifier: "Asia/Shanghai")!
    /// 2026-11-29 08:00 in Shanghai (00:00Z), a Sunday.
    static let asOf = Date(timeIntervalSince1970: 1_795_910_400)
    /// 2026-11-29 10:30 in Shanghai.
    static let now = asOf.addingTimeInterval(2.5 * 3600)
    static let venue = "朝阳医院 东门"

    static let idNumber = "11010519491231002X"
    static let pan = "6299999900000000014"
    static let name = "张三明"
    static let key = SubjectKey(bytes: Array(repeating: 7, count: 16))!

    static let identity = Identity(kind: .residentID, value: idNumber, displayName: name, isValidated: true)

    static func record(
        _ status: HealthStatus, popup: Popup? = nil, natHoursAgo: Double? = 20, doses: Int? = 3,
        commuter: CalendarDate? = CalendarDate(year: 2026, month: 12, day: 10)
    ) -> StatusRecord {
        StatusRecord(
            status: status, popup: popup,
            nucleicAcidTest: natHoursAgo.map {
                NucleicAcidTest(sampledAt: now.addingTimeInterval(-$0 * 3600), result: .negative)
            },
            vaccination: doses.map { Vaccination(doses: $0, lastDose: CalendarDate(year: 2022, month: 1, day: 10)) },
            commuter: commuter.map(CommuterMark.init(validUntil:)),
            updatedAt: asOf)
    }

    static func found(
        _ record: StatusRecord, provenance: Provenance = .snapshot(sequence: 3, asOf: asOf), name: String? = name,
        identity: Identity? = identity
    ) -> DisplayState {
        .resolved(
            Resolution(outcome: .found(record, matched: key), provenance: provenance, resolvedAt: now),
            name: name, identity: identity)
    }

    static func screen(_ state: DisplayState) -> Screen {
        Layout.screen(for: state, now: now, venue: venue, timeZone: shanghai)
    }
}

@Suite struct LayoutTests {
    @Test func idleAsksForACard() {
        let screen = Sample.screen(.idle)
        #expect(screen.kind == .idle)
        #expect(screen.title == Guidance(zh: "请刷卡", en: "Please tap your card"))
        #expect(screen.tone == .blue)
        #expect(screen.icon == .card)
        #expect(screen.venue == Sample.venue)
        #expect(screen.dateTime == "2026-11-29 10:30 周日 Sun")
        #expect(screen.maskedName == nil && screen.maskedID == nil && screen.provenance == nil)
    }

    @Test func readingSaysKeepTheCard() {
        let screen = Sample.screen(.reading)
        #expect(screen.kind == .reading)
        #expect(screen.tone == .blue)
        #expect(screen.icon == .hourglass)
        #expect(screen.instruction?.zh == "请勿移开卡片")
    }

    @Test func normalIsGreenWithCheckMaskedIdentityAndDetails() {
        let screen = Sample.screen(Sample.found(Sample.record(.normal)))
        #expect(screen.kind == .result(.normal))
        #expect(screen.tone == .green)
        #expect(screen.icon == .checkInCircle)
        #expect(screen.title == Guidance(zh: "未见异常", en: "No abnormality"))
        #expect(screen.maskedName == "张*明")
        #expect(screen.maskedID == "110***********002X")
        #expect(screen.provenance == Guidance(zh: "离线数据 截至 11-29 08:00", en: "Offline data as of 11-29 08:00"))
        #expect(screen.popup == nil)
        #expect(
            screen.details.map(\.value) == [
                Guidance(zh: "阴性 · 24 小时内", en: "Negative · within 24 h"),
                Guidance(zh: "已接种 3 剂", en: "3 doses"),
                Guidance(zh: "有效期至 12-10", en: "until 12-10"),
            ])
        #expect(screen.details.map(\.label.zh) == ["核酸检测", "疫苗接种", "通勤"])
        #expect(screen.details[2].label.en == "Commuter")
    }

    @Test func homeObservationIsYellowTriangleCentralizedIsRedSquare() {
        let home = Sample.screen(Sample.found(Sample.record(.homeObservation)))
        #expect(home.kind == .result(.homeObservation))
        #expect((home.tone, home.icon) == (.yellow, .exclamationInTriangle))
        #expect(home.title.zh == "居家观察")
        #expect(home.instruction != nil)

        let central = Sample.screen(Sample.found(Sample.record(.centralizedObservation)))
        #expect((central.tone, central.icon) == (.red, .crossInSquare))
        #expect(central.title == Guidance(zh: "集中观察", en: "Centralized observation"))
    }

    @Test func popupShowsTitleAndGuidanceAndIsNeverPlainGreen() {
        let screen = Sample.screen(Sample.found(Sample.record(.normal, popup: Popup(code: 2))))
        // The headline is the pop-up, not a "no abnormality" that the guidance contradicts.
        #expect(screen.title == Guidance(zh: "弹窗 · 时空关联", en: "Notice: Linked to a risk area"))
        #expect(screen.kind == .result(.normal))
        #expect(screen.details.first?.value == Guidance(zh: "未见异常", en: "No abnormality"))
        #expect(screen.tone == .yellow)
        #expect(screen.icon == .exclamationInTriangle)
        let notice = Screen.Notice(code: 2, title: Popup(code: 2).title, guidance: Popup(code: 2).guidance)
        #expect(screen.popup == notice)
        #expect(screen.popup?.guidance.zh == "请暂缓进入，并向所在社区报告")

        let red = Sample.screen(Sample.found(Sample.record(.centralizedObservation, popup: Popup(code: 6))))
        #expect(red.title.zh == "集中观察", "a worse status keeps the headline; the pop-up is below")
        #expect(red.tone == .red)
        #expect(red.popup?.code == 6)
    }

    @Test(arguments: [
        (20.0, Guidance(zh: "阴性 · 24 小时内", en: "Negative · within 24 h")),
        (30.0, Guidance(zh: "阴性 · 48 小时内", en: "Negative · within 48 h")),
        (60.0, Guidance(zh: "阴性 · 72 小时内", en: "Negative · within 72 h")),
        (100.0, Guidance(zh: "阴性 · 超过 72 小时", en: "Negative · over 72 h ago")),
    ])
    func nucleicAcidTestBuckets(hours: Double, expected: Guidance) {
        let screen = Sample.screen(Sample.found(Sample.record(.normal, natHoursAgo: hours)))
        #expect(screen.details.first?.value == expected)
    }

    @Test func missingRecordsAndExpiredCommuterMark() {
        let screen = Sample.screen(
            Sample.found(
                Sample.record(
                    .normal, natHoursAgo: nil, doses: nil, commuter: CalendarDate(year: 2026, month: 11, day: 28))))
        #expect(
            screen.details.map(\.value) == [
                Guidance(zh: "无记录", en: "No record"), Guidance(zh: "无记录", en: "No record"),
            ])
        let one = Sample.screen(Sample.found(Sample.record(.normal, doses: 1)))
        #expect(one.details[1].value == Guidance(zh: "已接种 1 剂", en: "1 dose"))
        let today = Sample.screen(
            Sample.found(Sample.record(.normal, commuter: CalendarDate(year: 2026, month: 11, day: 29))))
        #expect(today.details.count == 3)
    }

    @Test func onlineProvenance() {
        let screen = Sample.screen(Sample.found(Sample.record(.normal), provenance: .online))
        #expect(screen.provenance == Guidance(zh: "实时", en: "Online"))
    }

    @Test func panOnlyCardShowsMaskedPANAndLatinNameMasked() {
        let pan = Identity(kind: .bankCardPAN, value: Sample.pan, isValidated: true)
        let screen = Sample.screen(Sample.found(Sample.record(.normal), name: "Wang Xiao Li", identity: pan))
        #expect(screen.maskedID == "629999*********0014")
        #expect(screen.maskedName == "Wang *** Li")
    }

    @Test func controlCharactersFromDataAreRemoved() {
        let screen = Layout.screen(
            for: Sample.found(Sample.record(.normal), name: "张\u{1B}[2J\u{202E}三明"), now: Sample.now,
            venue: "Gate\u{7}\u{1B}]0;x\u{7} 1", timeZone: Sample.shanghai)
        #expect(screen.maskedName?.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x202E } == true)
        #expect(!screen.venue.contains("\u{1B}") && !screen.venue.contains("\u{7}"))
    }

    @Test func unknownPersonHasItsOwnScreen() {
        let state = DisplayState.resolved(
            Resolution(
                outcome: .unknownPerson, provenance: .snapshot(sequence: 3, asOf: Sample.asOf), resolvedAt: Sample.now),
            name: Sample.name, identity: Sample.identity)
        let screen = Sample.screen(state)
        #expect(screen.kind == .unknownPerson)
        #expect(screen.tone == .neutral)
        #expect(screen.icon == .questionInCircle)
        #expect(screen.title.zh == "未查到健康状态")
        #expect(screen.instruction?.en == "Please ask staff to help you register")
        #expect(screen.maskedID == "110***********002X")
        #expect(screen.details.isEmpty)
    }

    @Test(arguments: [CannotVerifyReason.noData, .snapshotTooOld, .clockBehindSnapshot])
    func cannotVerifyIsNeverGreenAndSaysWhy(reason: CannotVerifyReason) {
        let state = DisplayState.resolved(
            Resolution(outcome: .cannotVerify, provenance: .cannotVerify(reason: reason), resolvedAt: Sample.now),
            name: Sample.name, identity: Sample.identity)
        let screen = Sample.screen(state)
        #expect(screen.kind == .cannotVerify(reason))
        #expect(screen.tone == .neutral)
        #expect(screen.icon == .questionInCircle)
        #expect(screen.title == Guidance(zh: "暂无法核验", en: "Cannot verify"))
        #expect(screen.instruction == reason.guidance)
        #expect(screen.provenance == nil)
        #expect(screen.details.isEmpty)
    }

    @Test func unreadableCardAndInvalidIDHaveTheirOwnScreens() {
        let unreadable = Sample.screen(.cardProblem(.tapAgain))
        #expect(unreadable.kind == .unreadableCard(.tapAgain))
        #expect(unreadable.title == Guidance(zh: "读卡失败", en: "Card not read"))
        #expect(unreadable.instruction == .tapAgain)
        #expect(unreadable.tone == .neutral)

        let invalid = Sample.screen(.invalidID)
        #expect(invalid.kind == .invalidID)
        #expect(invalid.title.en == "Number not valid")
        #expect(invalid.instruction?.zh == "卡片或二维码上的号码校验未通过，请联系工作人员")
        #expect(invalid.tone == .neutral)

        let unnamed = Sample.screen(Sample.found(Sample.record(.normal), name: nil, identity: nil))
        #expect(unnamed.maskedName == nil && unnamed.maskedID == nil)

        let message = Sample.screen(.message(Guidance(zh: "设备维护中", en: "Under maintenance"), tone: .neutral))
        #expect(message.title.zh == "设备维护中")
        #expect(message.icon == .info)
    }
}
