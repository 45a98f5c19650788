public import Foundation
public import KioskCore

/// Every kind of screen with made-up people, at a fixed time (2026-11-29 10:30 in Shanghai, a Sunday), for
/// previews (`kioskctl render`), golden images and benchmarks. The people are made up; their names use rare
/// characters (堃, 喆, 昇, 䶮) so previews show how such names look with the installed fonts.
public enum DemoScreens {
    /// The screen names, in a sensible order for a preview sheet.
    public static let names = [
        "idle", "reading", "normal", "home-observation", "centralized-observation", "popup", "unknown-person",
        "cannot-verify", "unreadable-card", "wrong-reader", "code-not-recognised", "invalid-id", "others",
        "maintenance",
    ]

    /// 2026-11-29 10:30 in Shanghai.
    public static let now = Date(timeIntervalSince1970: 1_795_919_400)
    /// The snapshot's time: 2026-11-29 08:00 in Shanghai.
    public static let snapshotAsOf = Date(timeIntervalSince1970: 1_795_910_400)
    public static let timeZone = TimeZone(identifier: "Asia/Shanghai")!
    public static let venue = "朝阳区社区卫生服务中心 东门"

    /// The state behind screen `name`, or `nil` for an unknown name.
    public static func state(named name: String) -> DisplayState? {
        let offline = Provenance.snapshot(sequence: 42, asOf: snapshotAsOf)
        switch name {
        case "idle": return .idle
        case "reading": return .reading
        case "normal": return found(person(0), record(.normal), .online)
        case "home-observation": return found(person(1), record(.homeObservation), offline)
        case "centralized-observation": return found(person(2), record(.centralizedObservation), offline)
        case "popup": return found(person(3), record(.normal, popup: Popup(code: 2)), offline)
        case "unknown-person":
            return .resolved(
                Resolution(outcome: .unknownPerson, provenance: .online, resolvedAt: now), name: person(0).name,
                identity: person(0).identity)
        case "cannot-verify":
            return .resolved(
                Resolution(outcome: .cannotVerify, provenance: .cannotVerify(reason: .snapshotTooOld), resolvedAt: now),
                name: person(1).name, identity: person(1).identity)
        case "unreadable-card": return .cardProblem(.tapAgain)
        case "wrong-reader": return .idCardOnWrongReader
        case "code-not-recognised": return .codeNotRecognised(Guidance(zh: "无法识别此二维码", en: "Code not recognised"))
        case "invalid-id": return .invalidID
        case "others":
            let records: [StatusRecord] = [
                record(.normal), record(.homeObservation), record(.normal, popup: Popup(code: 5)),
                record(.centralizedObservation),
            ]
            return .severalPeople(
                records.enumerated().map { index, record in
                    let p = person(index)
                    return TappedPerson(
                        resolution: Resolution(
                            outcome: .found(
                                record, matched: SubjectKey(bytes: Array(repeating: UInt8(index), count: 16))!),
                            provenance: offline, resolvedAt: now),
                        name: p.name, identity: p.identity)
                })
        case "maintenance":
            return .message(Guidance(zh: "设备维护中，请稍候", en: "Under maintenance. Please wait"), tone: .neutral)
        default: return nil
        }
    }

    /// Screen `name` laid out at the demo time, or `nil` for an unknown name.
    public static func screen(named name: String) -> Screen? {
        state(named: name).map { Layout.screen(for: $0, now: now, venue: venue, timeZone: timeZone) }
    }

    private static func person(_ index: Int) -> (name: String, identity: Identity) {
        let people = [
            ("王堃明", "11010519491231002X"), ("李䶮", "110101195001010019"), ("Zhang Xiao Ming", "110101194512120013"),
            ("赵喆昇", "110101193807070014"),
        ]
        let (name, number) = people[index % people.count]
        return (name, Identity(kind: .residentID, value: number, displayName: name, isValidated: true))
    }

    private static func found(
        _ person: (name: String, identity: Identity), _ record: StatusRecord, _ provenance: Provenance
    ) -> DisplayState {
        .resolved(
            Resolution(
                outcome: .found(record, matched: SubjectKey(bytes: Array(repeating: 7, count: 16))!),
                provenance: provenance, resolvedAt: now),
            name: person.name, identity: person.identity)
    }

    private static func record(_ status: HealthStatus, popup: Popup? = nil) -> StatusRecord {
        StatusRecord(
            status: status, popup: popup,
            nucleicAcidTest: NucleicAcidTest(sampledAt: now.addingTimeInterval(-20 * 3600), result: .negative),
            vaccination: Vaccination(doses: 3, lastDose: CalendarDate(year: 2022, month: 1, day: 10)!),
            commuter: CommuterMark(validUntil: CalendarDate(year: 2026, month: 12, day: 10)!),
            updatedAt: snapshotAsOf)
    }
}
