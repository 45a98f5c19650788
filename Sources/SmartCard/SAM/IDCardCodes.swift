public import KioskCore

/// Which document a SAM read returned, from the type flag at byte 248 of the text block (cards.md §4.3).
public enum IDCardLayout: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Flag space: 居民身份证, the second-generation resident identity card.
    case residentID
    /// Flag `I`: 外国人永久居留证, the 2017 foreigner permanent residence card (15-character number).
    case foreignPermanentResident2017
    /// Flag `Y`: 外国人永久居留身份证, the 2023 foreigner permanent residence ID card (18-digit number starting 9).
    case foreignPermanentResident2023
    /// Flag `J`: 港澳台居民居住证, the Hong Kong / Macau / Taiwan residents' residence permit.
    case residencePermit

    /// The flag character at offset 248.
    public var typeFlag: Character {
        switch self {
        case .residentID: " "
        case .foreignPermanentResident2017: "I"
        case .foreignPermanentResident2023: "Y"
        case .residencePermit: "J"
        }
    }

    /// The layout for a flag character; `nil` for a flag this reader does not know.
    public init?(typeFlag: Character) {
        guard let layout = Self.allCases.first(where: { $0.typeFlag == typeFlag }) else { return nil }
        self = layout
    }

    /// The identity kind its number is (DESIGN.md §4).
    public var identityKind: IdentityKind {
        switch self {
        case .residentID: .residentID
        case .foreignPermanentResident2017, .foreignPermanentResident2023: .foreignPermanentResident
        case .residencePermit: .residencePermit
        }
    }

    public var description: String {
        switch self {
        case .residentID: "resident ID card"
        case .foreignPermanentResident2017: "foreigner permanent residence card (2017)"
        case .foreignPermanentResident2023: "foreigner permanent residence ID card (2023)"
        case .residencePermit: "HK/Macau/Taiwan residence permit"
        }
    }
}

/// Sex code of GB/T 2261.1 as printed on the card: `0` unknown, `1` male, `2` female, `9` not stated; any other
/// character is kept as is.
public struct IDCardSex: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public static let unknown = IDCardSex(rawValue: "0")
    public static let male = IDCardSex(rawValue: "1")
    public static let female = IDCardSex(rawValue: "2")
    public static let notStated = IDCardSex(rawValue: "9")

    /// The Chinese label (未知, 男, 女, 未说明), or `nil` for a code outside the table.
    public var chineseName: String? {
        switch rawValue {
        case "0": "未知"
        case "1": "男"
        case "2": "女"
        case "9": "未说明"
        default: nil
        }
    }

    public var description: String {
        switch rawValue {
        case "0": "0 unknown"
        case "1": "1 male"
        case "2": "2 female"
        case "9": "9 not stated"
        default: "\(rawValue) (not in GB/T 2261.1)"
        }
    }
}

/// Ethnicity (民族) as the 2-digit GB 3304-1991 code on a resident ID card. Codes 01–56 have a name; codes above 56
/// differ between SDKs (cards.md §4.4), so they keep the raw code with a `nil` ``name``.
public struct Ethnicity: Sendable, Hashable, CustomStringConvertible {
    /// The code as read, normally 2 digits.
    public let code: String

    public init(code: String) { self.code = code }

    /// The GB 3304 name (`汉`, `蒙古` …) for 01–56, else `nil`.
    public var name: String? {
        guard code.count == 2, let number = Int(code), (1...Self.names.count).contains(number) else { return nil }
        return Self.names[number - 1]
    }

    /// The name, or `民族代码 NN` for a code outside 01–56.
    public var displayName: String { name ?? "民族代码 \(code)" }

    public var description: String { "\(code) \(displayName)" }

    /// GB 3304-1991 codes 01…56, in order.
    static let names = [
        "汉", "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜",
        "满", "侗", "瑶", "白", "土家", "哈尼", "哈萨克", "傣", "黎", "傈僳",
        "佤", "畲", "高山", "拉祜", "水", "东乡", "纳西", "景颇", "柯尔克孜", "土",
        "达斡尔", "仫佬", "羌", "布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌", "普米",
        "塔吉克", "怒", "乌孜别克", "俄罗斯", "鄂温克", "德昂", "保安", "裕固", "京", "塔塔尔",
        "独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺",
    ]
}

/// The "valid to" (有效期限 end) of a card.
public enum IDCardValidity: Sendable, Hashable, CustomStringConvertible {
    /// Valid until this date.
    case until(CalendarDate)
    /// Long-term (长期): the field is not 8 digits. Vendor outputs show "长期"; the raw bytes are not documented
    /// (cards.md §4.3, uncertain), so any non-8-digit text counts. Carries the text as read.
    case longTerm(String)
    /// 8 digits that are not a date.
    case unreadable(String)

    /// Classifies a decoded valid-to field.
    public init(field: String) {
        if field.count == 8, field.allSatisfy({ $0.isASCII && $0.isNumber }) {
            self = CalendarDate(yyyymmdd: field).map(IDCardValidity.until) ?? .unreadable(field)
        } else {
            self = .longTerm(field)
        }
    }

    public var isLongTerm: Bool {
        if case .longTerm = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .until(let date): "\(date)"
        case .longTerm(let text): "long-term (\(text.isEmpty ? "blank" : text))"
        case .unreadable(let text): "unreadable (\(text))"
        }
    }
}
