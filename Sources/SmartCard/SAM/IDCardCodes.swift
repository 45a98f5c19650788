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

/// Sex code of GB/T 2261.1 on the card (KioskCore's table, shared with the social security card).
public typealias IDCardSex = SexCode

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
