public import KioskCore

/// What the social security environment (SSSE) of a 社会保障卡 released without keys: the issuer file EF05 and the
/// holder's basic data EF06 (MOHRSS card specification; cards.md §3.3, §8.2).
///
/// Holds personal data (social security number, name, birth data): `description` and the mirror are masked, and
/// none of it may be logged or stored; pass ``identities()`` on, which the resolver turns into subject keys.
public struct SocialSecurityCardData: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// Algorithm indicator from the SSSE FCI (`9F0C`, value `86 01 xx`): 01 DES, 02 SSF33, 03 SM4 (cards.md §3.4).
    public var algorithm: UInt8?
    /// EF05 tag 01 卡识别码, 16 bytes.
    public var cardIdentificationCode: [UInt8]?
    /// The coordination region 统筹区: the first 3 bytes of the 卡识别码 as 6 hex digits, e.g. `110100`.
    public var regionCode: String?
    /// EF05 tag 02 卡的类别 (an ASCII digit; the meaning of the values is not public).
    public var cardType: String?
    /// EF05 tag 03 规范版本, e.g. `2.00`.
    public var specVersion: String?
    /// EF05 tag 04 初始化机构编号, 12 bytes shown as 24 hex digits.
    public var initialisingInstitution: String?
    /// EF05 tag 05 发卡日期.
    public var issueDate: CalendarDate?
    /// EF05 tag 06 卡有效期 (3rd-generation cards print none on the face).
    public var validUntil: CalendarDate?
    /// EF05 tag 07 卡号: the first 9 characters, upper case.
    public var cardNumber: String?
    /// EF06 tag 08 社会保障号码 as on the card (upper case, padding stripped): normally the citizen ID number.
    public var socialSecurityNumber: String?
    /// EF06 tags 09 ‖ 4E 姓名 + 姓名扩展, GBK decoded, `00` padding stripped.
    public var name: String?
    /// EF06 tag 0A 性别 (GB/T 2261.1).
    public var sex: Sex?
    /// EF06 tag 0B 民族 (GB 3304).
    public var ethnicity: Ethnicity?
    /// EF06 tag 0C 出生地: a GB/T 2260 region code, `F` padding stripped.
    public var birthplace: String?
    /// EF06 tag 0D 出生日期.
    public var birthDate: CalendarDate?

    /// Tags the card answered `6A 83` (record not found): absent items, e.g. 4E on a 1st-generation card.
    public var absentItems: [UInt8] = []
    /// Tags the card refused with `69 82`, `69 85` or `6A 82`: readable only after authentication with a PSAM
    /// (spec 3.00 cards, cards.md §3.4).
    public var protectedItems: [UInt8] = []
    /// Items that could not be read or decoded, each `"EF06/0D: why"` (never the value).
    public var unreadableItems: [String] = []
    /// Why ``socialSecurityNumber`` is not used as an identity (e.g. a wrong GB 11643 check digit); `nil` when it
    /// validated or is absent.
    public var socialSecurityNumberProblem: String?
    /// Disagreements between the social security number and EF06 (birth date vs tag 0D, sex digit parity vs tag
    /// 0A), worded without values. Reported only; the number is still used if it validated.
    public var consistencyProblems: [String] = []

    public init() {}

    /// Whether the card refused items for lack of external authentication (a PSAM or an HSM holding RKSSSE).
    public var needsSecureAccessModule: Bool { !protectedItems.isEmpty }

    /// The generation from the first character of ``specVersion`` (`1`, `2`, `3`).
    public var generation: Int? { specVersion?.first?.wholeNumberValue }

    /// Whether any item was read at all.
    public var hasAnyItem: Bool {
        cardIdentificationCode != nil || cardType != nil || specVersion != nil || initialisingInstitution != nil
            || issueDate != nil || validUntil != nil || cardNumber != nil || socialSecurityNumber != nil
            || name != nil || sex != nil || ethnicity != nil || birthplace != nil || birthDate != nil
    }

    /// The social security number as an identity, when it validates: kind by form (cards.md §5): 18 characters
    /// passing GB 11643 are a resident ID, or a residence permit with prefix 81/82/83, or a 2023 foreign permanent
    /// resident ID with prefix 9; 15 digits are a first-generation resident ID (converted to 18); 3 letters and 12
    /// digits are a 2017 foreign permanent resident number (format check only: no public check digit example
    /// verifies).
    public var socialSecurityIdentity: Identity? {
        guard let socialSecurityNumber, case .success(let (kind, value)) = Self.classify(socialSecurityNumber) else {
            return nil
        }
        return Identity(kind: kind, value: value, displayName: name, isValidated: true)
    }

    /// The card number as an identity when it is 9 letters and digits (the same rule as the people file).
    public var cardNumberIdentity: Identity? {
        guard let cardNumber, Self.isWellFormedCardNumber(cardNumber) else { return nil }
        return Identity(kind: .socialSecurityCard, value: cardNumber, displayName: name, isValidated: true)
    }

    /// The identities this card yields, strongest first (DESIGN.md §4): the social security number when it
    /// validates, then the card number. A number that fails validation is **not** returned
    /// (``socialSecurityNumberProblem`` says why).
    public func identities() -> [Identity] {
        [socialSecurityIdentity, cardNumberIdentity].compactMap { $0 }.strongestFirst()
    }

    /// Identity fields that failed their check, for ``RoutedCardData/rejectedFields``; no values.
    public var rejectedFields: [String] {
        var out: [String] = []
        if let socialSecurityNumberProblem { out.append("EF06/08: \(socialSecurityNumberProblem)") }
        if let cardNumber, !Self.isWellFormedCardNumber(cardNumber) {
            out.append("EF05/07: card number is not 9 letters and digits")
        }
        return out
    }

    // MARK: Number forms

    enum NumberForm: Equatable {
        case eighteen(ResidentIDNumber)
        case foreign2017(String)
    }

    /// Classifies and validates a social security number (see ``socialSecurityIdentity``).
    static func classify(_ raw: String) -> Result<(IdentityKind, String), SSNProblem> {
        switch parse(raw) {
        case .success(.eighteen(let number)):
            let value = number.value
            let kind: IdentityKind =
                value.hasPrefix("9")
                ? .foreignPermanentResident
                : ["81", "82", "83"].contains(String(value.prefix(2))) ? .residencePermit : .residentID
            return .success((kind, value))
        case .success(.foreign2017(let value)):
            return .success((.foreignPermanentResident, value))
        case .failure(let problem):
            return .failure(problem)
        }
    }

    static func parse(_ raw: String) -> Result<NumberForm, SSNProblem> {
        let value = raw.uppercased()
        let chars = Array(value)
        if chars.count == 15, chars.prefix(3).allSatisfy({ $0.isASCII && $0.isUppercase }),
            chars.dropFirst(3).allSatisfy({ $0.isASCII && $0.isNumber })
        {
            return .success(.foreign2017(value))
        }
        do {
            return .success(.eighteen(try ResidentIDNumber(validating: value)))
        } catch {
            return .failure(SSNProblem(description: error.description))
        }
    }

    struct SSNProblem: Error, Equatable, CustomStringConvertible {
        var description: String
    }

    static func isWellFormedCardNumber(_ value: String) -> Bool {
        value.count == 9 && value.allSatisfy { $0.isASCII && ($0.isUppercase || $0.isNumber) }
    }

    // MARK: Privacy

    /// Masked summary, safe for logs.
    public var description: String {
        var parts: [String] = []
        if let specVersion { parts.append("spec \(specVersion)") }
        if let regionCode { parts.append("region \(regionCode)") }
        if let cardNumber { parts.append("card \(Masking.idNumber(cardNumber))") }
        if let socialSecurityNumber { parts.append("SSN \(Masking.idNumber(socialSecurityNumber))") }
        if let name { parts.append("name \(Masking.name(name))") }
        if let validUntil { parts.append("valid until \(validUntil)") }
        if !absentItems.isEmpty { parts.append("absent \(absentItems.hexString)") }
        if !protectedItems.isEmpty { parts.append("needs PSAM for \(protectedItems.hexString)") }
        if !unreadableItems.isEmpty { parts.append("unreadable: \(unreadableItems.joined(separator: "; "))") }
        if let socialSecurityNumberProblem { parts.append("SSN problem: \(socialSecurityNumberProblem)") }
        if !consistencyProblems.isEmpty { parts.append("inconsistent: \(consistencyProblems.joined(separator: "; "))") }
        return "SocialSecurityCardData(" + parts.joined(separator: ", ") + ")"
    }

    public var debugDescription: String { description }

    /// Masked too, so `dump(_:)` and debuggers do not print raw personal data.
    public var customMirror: Mirror { Mirror(self, children: ["summary": description]) }
}

// MARK: Code tables

extension SocialSecurityCardData {
    /// Sex code, GB/T 2261.1 (KioskCore's table, shared with the SAM ID-card reader).
    public typealias Sex = SexCode
    /// Ethnicity 民族, GB 3304-1991 (KioskCore's table, shared with the SAM ID-card reader).
    public typealias Ethnicity = KioskCore.Ethnicity
}
