/// A bilingual message for the person at the kiosk: Chinese first, English second.
public struct Guidance: Sendable, Hashable, Codable, CustomStringConvertible {
    public var zh: String
    public var en: String

    public init(zh: String, en: String) {
        self.zh = zh
        self.en = en
    }

    public var description: String { "\(zh) \(en)" }
}

/// An error that knows what to tell the person at the kiosk (like Hummingbird's `HTTPResponseError`).
/// Anything else is shown as ``Guidance/askStaff``.
public protocol GuidanceProviding: Error {
    var guidance: Guidance { get }
}

extension Guidance {
    public static let askStaff = Guidance(zh: "请联系工作人员", en: "Please ask a member of staff")
    public static let tapAgain = Guidance(zh: "读卡未完成，请重新刷卡", en: "Card not read. Please tap again")
}
