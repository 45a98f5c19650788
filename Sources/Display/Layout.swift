public import Foundation
public import KioskCore

/// Pure functions from what happened to what the screen shows (DESIGN.md §1 step 6).
///
/// Personal data is masked here with ``Masking`` and cleaned of control characters, so no renderer ever holds a
/// raw ID number, PAN or full name.
public enum Layout {
    /// The screen for `state` at `now`, for a kiosk at `venue` in `timeZone`.
    public static func screen(for state: DisplayState, now: Date, venue: String, timeZone: TimeZone) -> Screen {
        let clock = KioskClock(timeZone: timeZone)
        var screen = Screen(
            kind: .idle, tone: .blue, icon: .card, title: Text.tapCard, instruction: Text.holdCard,
            venue: DisplayText.sanitized(venue), dateTime: clock.dateTime(now))
        switch state {
        case .idle:
            break
        case .reading:
            screen.kind = .reading
            screen.icon = .hourglass
            screen.title = Text.reading
            screen.instruction = Text.keepCard
        case .cardProblem(let guidance):
            screen.kind = .unreadableCard(guidance)
            screen.tone = .neutral
            screen.title = Text.cardNotRead
            screen.instruction = guidance
        case .invalidID:
            screen.kind = .invalidID
            screen.tone = .neutral
            screen.icon = .info
            screen.title = Text.invalidID
            screen.instruction = Text.invalidIDAction
        case .message(let guidance, let tone):
            screen.kind = .message(guidance)
            screen.tone = tone
            screen.icon = .info
            screen.title = guidance
            screen.instruction = nil
        case .resolved(let resolution, let name, let identity):
            resolved(resolution, name: name, identity: identity, clock: clock, into: &screen)
        case .idCardOnWrongReader:
            screen.kind = .idCardOnWrongReader
            screen.tone = .neutral
            screen.title = Text.wrongReader
            screen.instruction = Text.wrongReaderAction
        case .codeNotRecognised(let guidance):
            screen.kind = .codeNotRecognised(guidance)
            screen.tone = .neutral
            screen.icon = .questionInCircle
            screen.title = Text.codeNotUsable
            screen.instruction = Guidance(
                zh: DisplayText.sanitized(guidance.zh) + "。" + Text.codeAction.zh,
                en: DisplayText.sanitized(guidance.en) + ". " + Text.codeAction.en)
        case .severalPeople(let people):
            several(people.suffix(Screen.maximumTiles), clock: clock, into: &screen)
        }
        return screen
    }

    /// 他人代查: one tile per person; the headline counts them and takes the tone and shape of the most serious
    /// result, so a red tile is never under a green headline.
    private static func several(_ people: ArraySlice<TappedPerson>, clock: KioskClock, into screen: inout Screen) {
        screen.kind = .severalPeople
        screen.instruction = nil
        var provenances: [Guidance] = []
        for person in people {
            var single = screen
            single.kind = .idle
            resolved(person.resolution, name: person.name, identity: person.identity, clock: clock, into: &single)
            screen.tiles.append(
                Screen.Tile(
                    tone: single.tone, icon: single.icon,
                    title: single.popup != nil && single.tone == .yellow && single.title.zh.hasPrefix("弹窗")
                        ? Guidance(zh: "弹窗", en: "Notice") : single.title,
                    maskedName: single.maskedName, maskedID: single.maskedID, notice: single.popup?.title))
            if let provenance = single.provenance, !provenances.contains(provenance) { provenances.append(provenance) }
        }
        let worst = screen.tiles.max { severity($0.tone) < severity($1.tone) }
        screen.tone = worst?.tone ?? .neutral
        screen.icon = worst?.icon ?? .info
        let n = screen.tiles.count
        screen.title = Guidance(
            zh: "他人代查 · \(n) 人",
            en: n == 1 ? "Checking for others · 1 person" : "Checking for others · \(n) people")
        // Offline wins over online when the answers came from both: the footer never claims more than the weakest.
        screen.provenance = provenances.first { $0.zh.hasPrefix("离线") } ?? provenances.first
    }

    private static func severity(_ tone: Screen.Tone) -> Int {
        switch tone {
        case .green: 0
        case .blue: 1
        case .neutral: 2
        case .yellow: 3
        case .red: 4
        }
    }

    private static func resolved(
        _ resolution: Resolution, name: String?, identity: Identity?, clock: KioskClock, into screen: inout Screen
    ) {
        if let name = (name ?? identity?.displayName).map(DisplayText.sanitized), !name.isEmpty {
            screen.maskedName = Masking.name(name)
        }
        if let identity {
            let masked = DisplayText.sanitized(Masking.maskedValue(of: identity))
            screen.maskedID = masked.isEmpty ? nil : masked
        }
        screen.provenance = provenanceLine(resolution.provenance, clock: clock)

        switch resolution.outcome {
        case .found(let record, _):
            screen.kind = .result(record.status)
            screen.title = Guidance(zh: record.status.chinese, en: record.status.english)
            switch record.status {
            case .normal:
                (screen.tone, screen.icon) = (.green, .checkInCircle)
                screen.instruction = nil
            case .homeObservation:
                (screen.tone, screen.icon) = (.yellow, .exclamationInTriangle)
                screen.instruction = Text.homeObservation
            case .centralizedObservation:
                (screen.tone, screen.icon) = (.red, .crossInSquare)
                screen.instruction = Text.centralizedObservation
            }
            if let popup = record.popup {
                screen.popup = Screen.Notice(
                    code: popup.code, title: cleaned(popup.title), guidance: cleaned(popup.guidance))
                screen.instruction = nil
            }
            screen.details = details(of: record, at: resolution.resolvedAt, clock: clock)
            if let popup = screen.popup, record.status == .normal {
                // A pop-up means "act before entering": the headline is the pop-up, never a green "no abnormality"
                // that the guidance below contradicts. The health status moves to the first detail line.
                (screen.tone, screen.icon) = (.yellow, .exclamationInTriangle)
                screen.title = Guidance(zh: "弹窗 · \(popup.title.zh)", en: "Notice: \(popup.title.en)")
                screen.details.insert(
                    Screen.Detail(
                        label: Guidance(zh: "健康状态", en: "Health status"),
                        value: Guidance(zh: record.status.chinese, en: record.status.english)),
                    at: 0)
            }
        case .unknownPerson:
            screen.kind = .unknownPerson
            (screen.tone, screen.icon) = (.neutral, .questionInCircle)
            screen.title = Text.unknownPerson
            screen.instruction = Text.unknownPersonAction
        case .cannotVerify:
            var reason = CannotVerifyReason.noData
            if case .cannotVerify(let given) = resolution.provenance { reason = given }
            screen.kind = .cannotVerify(reason)
            (screen.tone, screen.icon) = (.neutral, .questionInCircle)
            screen.title = Text.cannotVerify
            screen.instruction = reason.guidance
            screen.provenance = nil
        }
    }

    // MARK: - Lines

    static func provenanceLine(_ provenance: Provenance, clock: KioskClock) -> Guidance? {
        switch provenance {
        case .online:
            Guidance(zh: "实时", en: "Online")
        case .snapshot(_, let asOf):
            Guidance(zh: "离线数据 截至 \(clock.monthDayTime(asOf))", en: "Offline data as of \(clock.monthDayTime(asOf))")
        case .cannotVerify:
            nil
        }
    }

    static func details(of record: StatusRecord, at now: Date, clock: KioskClock) -> [Screen.Detail] {
        var details: [Screen.Detail] = []

        let natValue: Guidance
        if let test = record.nucleicAcidTest {
            let result: Guidance =
                switch test.result {
                case .negative: Guidance(zh: "阴性", en: "Negative")
                case .positive: Guidance(zh: "阳性", en: "Positive")
                case .pending: Guidance(zh: "结果待出", en: "Result pending")
                }
            if let hours = test.withinHours(at: now) {
                natValue = Guidance(zh: "\(result.zh) · \(hours) 小时内", en: "\(result.en) · within \(hours) h")
            } else {
                natValue = Guidance(zh: "\(result.zh) · 超过 72 小时", en: "\(result.en) · over 72 h ago")
            }
        } else {
            natValue = Text.noRecord
        }
        details.append(Screen.Detail(label: Guidance(zh: "核酸检测", en: "Nucleic acid test"), value: natValue))

        let vaccineValue: Guidance
        switch record.vaccination?.doses {
        case nil: vaccineValue = Text.noRecord
        case 0?: vaccineValue = Guidance(zh: "未接种", en: "Not vaccinated")
        case 1?: vaccineValue = Guidance(zh: "已接种 1 剂", en: "1 dose")
        case let doses?: vaccineValue = Guidance(zh: "已接种 \(doses) 剂", en: "\(doses) doses")
        }
        details.append(Screen.Detail(label: Guidance(zh: "疫苗接种", en: "Vaccination"), value: vaccineValue))

        if let commuter = record.commuter, commuter.validUntil >= clock.calendarDate(now) {
            let until = clock.monthDay(commuter.validUntil)
            details.append(
                Screen.Detail(
                    label: Guidance(zh: "通勤", en: "Commuter"),
                    value: Guidance(zh: "有效期至 \(until)", en: "until \(until)")))
        }
        return details
    }

    private static func cleaned(_ guidance: Guidance) -> Guidance {
        Guidance(zh: DisplayText.sanitized(guidance.zh), en: DisplayText.sanitized(guidance.en))
    }

    /// Fixed screen text.
    enum Text {
        static let tapCard = Guidance(zh: "请刷卡", en: "Please tap your card")
        static let holdCard = Guidance(
            zh: "身份证、社保卡、老年卡请放在屏幕下方的读卡区",
            en: "Place your ID card, social security card or senior card on the reader below the screen")
        static let wrongReader = Guidance(zh: "请用身份证读卡器", en: "Use the ID card reader")
        static let wrongReaderAction = Guidance(
            zh: "这里读不了身份证，请把身份证放在身份证读卡器上",
            en: "This reader cannot read ID cards. Please place your ID card on the ID card reader")
        static let codeNotUsable = Guidance(zh: "无法使用此二维码", en: "This code cannot be used")
        static let codeAction = Guidance(zh: "请刷卡或出示健康码", en: "Please tap your card or show your health code")
        static let reading = Guidance(zh: "正在读卡", en: "Reading your card")
        static let keepCard = Guidance(zh: "请勿移开卡片", en: "Keep the card on the reader")
        static let cardNotRead = Guidance(zh: "读卡失败", en: "Card not read")
        static let invalidID = Guidance(zh: "号码校验未通过", en: "Number not valid")
        static let invalidIDAction = Guidance(
            zh: "卡片或二维码上的号码校验未通过，请联系工作人员",
            en: "The number on the card or code failed its check. Please ask staff")
        static let unknownPerson = Guidance(zh: "未查到健康状态", en: "No health status found")
        static let unknownPersonAction = Guidance(
            zh: "请联系工作人员协助登记", en: "Please ask staff to help you register")
        static let cannotVerify = Guidance(zh: "暂无法核验", en: "Cannot verify")
        static let homeObservation = Guidance(
            zh: "请居家观察，并联系所在社区", en: "Please stay at home and contact your community")
        static let centralizedObservation = Guidance(
            zh: "请联系工作人员", en: "Please speak to a member of staff")
        static let noRecord = Guidance(zh: "无记录", en: "No record")
    }
}
