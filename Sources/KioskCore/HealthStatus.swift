public import Foundation

/// 健康状态, refreshed by the centre at least every 24 h (DESIGN.md §3).
public enum HealthStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// 未见异常 no abnormality (green).
    case normal
    /// 居家观察 home observation (yellow).
    case homeObservation
    /// 集中观察 centralized observation (red).
    case centralizedObservation

    public var chinese: String {
        switch self {
        case .normal: "未见异常"
        case .homeObservation: "居家观察"
        case .centralizedObservation: "集中观察"
        }
    }

    public var english: String {
        switch self {
        case .normal: "No abnormality"
        case .homeObservation: "Home observation"
        case .centralizedObservation: "Centralized observation"
        }
    }
}

/// 弹窗 pop-up notice: a category code with zh/en guidance (DESIGN.md §3). Codes 1–6 are known; the centre may send
/// others with their own text.
public struct Popup: Sendable, Hashable, Codable {
    public var code: Int
    public var guidance: Guidance

    public init(code: Int, guidance: Guidance? = nil) {
        self.code = code
        self.guidance = guidance ?? Popup.knownGuidance[code] ?? Guidance(
            zh: "请联系工作人员了解弹窗原因", en: "Please ask staff about this notice")
    }

    /// Title of the category, e.g. "入境人员 Inbound traveller"; "弹窗提示 Notice" for codes the kiosk does not know
    /// (their own guidance text says what it is about).
    public var title: Guidance {
        Popup.knownTitles[code] ?? Guidance(zh: "弹窗提示", en: "Notice")
    }

    static let knownTitles: [Int: Guidance] = [
        1: Guidance(zh: "入境人员", en: "Inbound traveller"),
        2: Guidance(zh: "时空关联", en: "Linked to a risk area"),
        3: Guidance(zh: "购买药品", en: "Bought watched medicine"),
        4: Guidance(zh: "出现症状", en: "Watched symptoms"),
        5: Guidance(zh: "重点职业", en: "Occupation with testing"),
        6: Guidance(zh: "未参加核酸筛查", en: "Missed mass testing"),
    ]

    static let knownGuidance: [Int: Guidance] = [
        1: Guidance(
            zh: "请持两证明向社区报到，7天内完成两次核酸检测",
            en: "Report to your community with both certificates; two tests within 7 days"),
        2: Guidance(
            zh: "请暂缓进入，并向所在社区报告",
            en: "Please postpone your visit and report to your community"),
        3: Guidance(
            zh: "请尽快进行核酸检测，阴性结果后自动解除",
            en: "Please take a test; cleared automatically on a negative result"),
        4: Guidance(
            zh: "请尽快进行核酸检测，阴性结果后自动解除",
            en: "Please take a test; cleared automatically on a negative result"),
        5: Guidance(
            zh: "请按要求进行核酸检测，阴性结果后自动解除",
            en: "Please take the required test; cleared automatically on a negative result"),
        6: Guidance(
            zh: "请尽快补做核酸检测",
            en: "Please take the missed test as soon as possible"),
    ]
}

/// Latest nucleic-acid test (核酸检测).
public struct NucleicAcidTest: Sendable, Hashable, Codable {
    public enum Result: String, Sendable, Hashable, Codable {
        case negative, positive, pending
    }

    public var sampledAt: Date
    public var result: Result

    public init(sampledAt: Date, result: Result) {
        self.sampledAt = sampledAt
        self.result = result
    }

    /// The "within N hours" bucket shown on screen: 24, 48 or 72, or `nil` when older than 72 h.
    public func withinHours(at now: Date) -> Int? {
        let hours = now.timeIntervalSince(sampledAt) / 3600
        for bucket in [24, 48, 72] where hours <= Double(bucket) { return bucket }
        return nil
    }
}

/// Vaccination record: doses and the date of the last dose.
public struct Vaccination: Sendable, Hashable, Codable {
    public var doses: Int
    public var lastDose: CalendarDate?

    public init(doses: Int, lastDose: CalendarDate?) {
        self.doses = doses
        self.lastDose = lastDose
    }
}

/// 通勤 commuter mark, valid until a date (DESIGN.md §3).
public struct CommuterMark: Sendable, Hashable, Codable {
    public var validUntil: CalendarDate

    public init(validUntil: CalendarDate) { self.validUntil = validUntil }
}

/// Everything the centre knows about one subject (DESIGN.md §3), keyed by ``SubjectKey`` elsewhere.
public struct StatusRecord: Sendable, Hashable, Codable {
    public var status: HealthStatus
    public var popup: Popup?
    public var nucleicAcidTest: NucleicAcidTest?
    public var vaccination: Vaccination?
    public var commuter: CommuterMark?
    /// When the centre last refreshed this record.
    public var updatedAt: Date

    public init(
        status: HealthStatus, popup: Popup? = nil, nucleicAcidTest: NucleicAcidTest? = nil,
        vaccination: Vaccination? = nil, commuter: CommuterMark? = nil, updatedAt: Date
    ) {
        self.status = status
        self.popup = popup
        self.nucleicAcidTest = nucleicAcidTest
        self.vaccination = vaccination
        self.commuter = commuter
        self.updatedAt = updatedAt
    }
}
