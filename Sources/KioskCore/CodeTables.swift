/// Sex code of GB/T 2261.1 as cards carry it: `0` unknown, `1` male, `2` female, `9` not stated. An enum-like
/// struct: any other code read from a card is kept as it is.
public struct SexCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public static let unknown = SexCode(rawValue: "0")
    public static let male = SexCode(rawValue: "1")
    public static let female = SexCode(rawValue: "2")
    public static let notStated = SexCode(rawValue: "9")

    /// Male / female as the parity of an ID number's 17th character encodes it; `nil` for the other codes.
    public var isMale: Bool? {
        switch self {
        case .male: true
        case .female: false
        default: nil
        }
    }

    /// The Chinese label (未知, 男, 女, 未说明), or `nil` for a code outside the table.
    public var chineseName: String? {
        switch self {
        case .unknown: "未知"
        case .male: "男"
        case .female: "女"
        case .notStated: "未说明"
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .unknown: "0 未知 unknown"
        case .male: "1 男 male"
        case .female: "2 女 female"
        case .notStated: "9 未说明 not stated"
        default: "\(rawValue) (not in GB/T 2261.1)"
        }
    }
}

/// Ethnicity (民族) as the 2-digit GB 3304-1991 code on resident ID and social security cards. Codes 01–56 have a
/// name; codes above 56 differ between SDKs (cards.md §4.4), so they keep the raw code with a `nil` ``name``.
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

    public var description: String { name.map { "\(code) \($0)" } ?? "\(code) (code not in GB 3304 01–56)" }

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
