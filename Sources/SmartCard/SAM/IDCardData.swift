public import KioskCore

/// What a SAM reader read from a resident ID card, a foreigner's permanent residence card or a HK/Macau/Taiwan
/// residence permit: the decoded 256-byte text block (cards.md §4.3). The photo is never decoded.
///
/// Holds personal data: `description` is masked, and none of it may be logged or stored; pass ``identities()`` on.
/// Fields a layout does not have are `nil`.
public struct IDCardData: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    public var layout: IDCardLayout
    /// Chinese name 姓名 (all layouts; may be blank on a 2017 foreigner card).
    public var name: String?
    /// English name (foreigner cards; the 2023 card's two parts joined).
    public var englishName: String?
    public var sex: IDCardSex
    /// Ethnicity (resident ID card only).
    public var ethnicity: Ethnicity?
    public var birthDate: CalendarDate?
    /// Address 住址 (resident ID card, residence permit).
    public var address: String?
    /// The document number, trimmed and upper-cased: resident ID number, residence-permit number, or
    /// permanent-residence number.
    public var number: String
    /// Issuing authority 签发机关 (resident ID card, residence permit).
    public var issuingAuthority: String?
    public var validFrom: CalendarDate?
    public var validTo: IDCardValidity
    /// Nationality, ISO 3166 alpha-3 (foreigner cards).
    public var nationality: String?
    /// HK/Macau/Taiwan travel-permit number 通行证号码 (residence permit).
    public var travelPermitNumber: String?
    /// Issue count 签发次数 (residence permit).
    public var issueCount: String?
    /// Card version (2017 foreigner card, e.g. "01").
    public var cardVersion: String?
    /// Accepting-authority code 受理机关代码 (2017 foreigner card).
    public var acceptingAuthorityCode: String?
    /// Renewal count 换证次数 (2023 foreigner card).
    public var renewalCount: String?
    /// Link to the previous 15-character permanent-residence number (2023 foreigner card; raw).
    public var previousNumberLink: String?
    /// Why ``number`` failed its check, or `nil` when it validated (cards.md §5).
    public var numberProblem: IDCardNumberProblem?

    public init(
        layout: IDCardLayout, name: String? = nil, englishName: String? = nil, sex: IDCardSex = .unknown,
        ethnicity: Ethnicity? = nil, birthDate: CalendarDate? = nil, address: String? = nil, number: String,
        issuingAuthority: String? = nil, validFrom: CalendarDate? = nil, validTo: IDCardValidity,
        nationality: String? = nil, travelPermitNumber: String? = nil, issueCount: String? = nil,
        cardVersion: String? = nil, acceptingAuthorityCode: String? = nil, renewalCount: String? = nil,
        previousNumberLink: String? = nil, numberProblem: IDCardNumberProblem? = nil
    ) {
        self.layout = layout
        self.name = name
        self.englishName = englishName
        self.sex = sex
        self.ethnicity = ethnicity
        self.birthDate = birthDate
        self.address = address
        self.number = number
        self.issuingAuthority = issuingAuthority
        self.validFrom = validFrom
        self.validTo = validTo
        self.nationality = nationality
        self.travelPermitNumber = travelPermitNumber
        self.issueCount = issueCount
        self.cardVersion = cardVersion
        self.acceptingAuthorityCode = acceptingAuthorityCode
        self.renewalCount = renewalCount
        self.previousNumberLink = previousNumberLink
        self.numberProblem = numberProblem
    }

    /// Whether ``number`` passed the check for its layout.
    public var isNumberValid: Bool { numberProblem == nil }

    /// The name to show (masked by the display): the Chinese name, else the English name.
    public var displayName: String? { name ?? englishName }

    /// The identity the card yields: its number, of kind ``IdentityKind/residentID``,
    /// ``IdentityKind/residencePermit`` or ``IdentityKind/foreignPermanentResident`` by layout, with
    /// ``displayName``. `isValidated` is the number check; a number that fails (see ``numberProblem``) is still
    /// returned, unvalidated, so the resolver can rank it below validated identities. Empty when the number field is
    /// blank.
    public func identities() -> [Identity] {
        guard !number.isEmpty else { return [] }
        return [
            Identity(kind: layout.identityKind, value: number, displayName: displayName, isValidated: isNumberValid)
        ]
    }

    /// Masked summary, safe for logs.
    public var description: String {
        var parts = ["\(layout)", "number \(Masking.idNumber(number))"]
        if let numberProblem { parts.append("number problem: \(numberProblem)") }
        if let displayName { parts.append("name \(Masking.name(displayName))") }
        parts.append("valid to \(validTo)")
        return "IDCardData(" + parts.joined(separator: ", ") + ")"
    }

    public var debugDescription: String { description }

    /// Masked too, so `dump(_:)` and debuggers do not print raw personal data.
    public var customMirror: Mirror { Mirror(self, children: ["summary": description]) }
}
