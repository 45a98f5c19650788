public import KioskCore

/// Cardholder ID type, PBOC 3.0 part 5 tag `9F62` (`cn` 1 byte; cards.md §1.5).
///
/// An enum-like struct: a value outside 00–05 read from a card is kept as is.
public struct PBOCIDType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt8

    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// 00 身份证 resident identity card: `9F61` is a GB 11643 number.
    public static let residentIDCard = PBOCIDType(rawValue: 0x00)
    /// 01 军官证 military officer's card.
    public static let militaryOfficerCard = PBOCIDType(rawValue: 0x01)
    /// 02 护照 passport.
    public static let passport = PBOCIDType(rawValue: 0x02)
    /// 03 入境证 entry permit.
    public static let entryPermit = PBOCIDType(rawValue: 0x03)
    /// 04 临时身份证 temporary identity card.
    public static let temporaryIDCard = PBOCIDType(rawValue: 0x04)
    /// 05 其它 other.
    public static let other = PBOCIDType(rawValue: 0x05)

    public var description: String {
        switch rawValue {
        case 0x00: "00 身份证 ID card"
        case 0x01: "01 军官证 military officer card"
        case 0x02: "02 护照 passport"
        case 0x03: "03 入境证 entry permit"
        case 0x04: "04 临时身份证 temporary ID card"
        case 0x05: "05 其它 other"
        default: "\([rawValue].hexString) unknown"
        }
    }
}

/// Application expiry as printed on a card: year and month (from tag `5F24` YYMMDD or track 2 YYMM).
public struct CardExpiry: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var year: Int
    public var month: Int

    public init?(year: Int, month: Int) {
        guard (1...12).contains(month) else { return nil }
        self.year = year
        self.month = month
    }

    public static func < (lhs: CardExpiry, rhs: CardExpiry) -> Bool { (lhs.year, lhs.month) < (rhs.year, rhs.month) }

    /// `YYYY-MM`.
    public var description: String { "\(year)-\(month < 10 ? "0" : "")\(month)" }
}

/// What a UnionPay PBOC application released without keys (PBOC 3.0 part 5; cards.md §1, §8.1).
///
/// Holds personal data (PAN, name, ID number): `description` is masked, and none of it may be logged or stored;
/// pass ``identities()`` on, which the resolver turns into subject keys.
public struct PBOCCardData: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// AID of the application that was read (tag `84` of its FCI, else the AID selected).
    public var aid: [UInt8]
    /// Application label (tag `50` of the FCI or directory entry), ASCII or GBK-decoded.
    public var applicationLabel: String?
    /// PAN digits, from tag `5A`, else track 2 (`57`, then `9F6B`) up to the `D` separator.
    public var pan: String
    /// Whether ``pan`` is 12–19 digits with a valid Luhn check digit (ISO/IEC 7812-1).
    public var panValid: Bool
    /// Application expiry (tag `5F24`, else track 2).
    public var expiry: CardExpiry?
    /// Cardholder name from `5F20`, else `9F0B`, padding stripped, decoded as ASCII or GB 18030; `nil` when the
    /// issuer did not personalise it (common, cards.md §1.6) or the bytes do not decode.
    public var cardholderName: String?
    /// Cardholder ID number, tag `9F61`, `00` padding stripped, exactly as on the card (not normalised).
    public var idNumber: String?
    /// Cardholder ID type, tag `9F62`.
    public var idType: PBOCIDType?
    /// Why ``idNumber`` is not usable as a resident ID although ``idType`` says 00 (e.g. a wrong GB 11643 check
    /// digit). `nil` when the number validated, or is absent, or is another kind of document.
    public var idNumberProblem: ResidentIDNumber.ValidationError?
    /// Electronic cash balance in fen (GET DATA `9F79`, `n12`); `nil` when the card has no e-cash application
    /// data or refused the GET DATA.
    public var eCashBalanceFen: Int?

    public init(
        aid: [UInt8], applicationLabel: String? = nil, pan: String, panValid: Bool, expiry: CardExpiry? = nil,
        cardholderName: String? = nil, idNumber: String? = nil, idType: PBOCIDType? = nil,
        idNumberProblem: ResidentIDNumber.ValidationError? = nil, eCashBalanceFen: Int? = nil
    ) {
        self.aid = aid
        self.applicationLabel = applicationLabel
        self.pan = pan
        self.panValid = panValid
        self.expiry = expiry
        self.cardholderName = cardholderName
        self.idNumber = idNumber
        self.idType = idType
        self.idNumberProblem = idNumberProblem
        self.eCashBalanceFen = eCashBalanceFen
    }

    /// The ID number as a validated resident ID, when ``idType`` is 00 and the number passes GB 11643 (a
    /// 15-character first-generation number is converted to 18).
    public var residentID: ResidentIDNumber? {
        guard idType == .residentIDCard, let idNumber else { return nil }
        return try? ResidentIDNumber(validating: idNumber)
    }

    /// The identities this card yields, strongest first (DESIGN.md §4): the resident ID number when ``idType``
    /// is 00 and it validates, then the PAN (``Identity/isValidated`` from the Luhn check). Every identity
    /// carries ``cardholderName`` as its display name.
    ///
    /// A `9F61` number that fails validation is **not** returned (``idNumberProblem`` says why); nor is one of
    /// another document type, since its value space is not the resident ID's.
    public func identities() -> [Identity] {
        var out: [Identity] = []
        if let residentID {
            out.append(
                Identity(kind: .residentID, value: residentID.value, displayName: cardholderName, isValidated: true))
        }
        out.append(Identity(kind: .bankCardPAN, value: pan, displayName: cardholderName, isValidated: panValid))
        return out.strongestFirst()
    }

    /// Masked summary, safe for logs.
    public var description: String {
        var parts = ["AID \(aid.hexString.filter { $0 != " " })", "PAN \(Masking.pan(pan))"]
        if !panValid { parts.append("PAN fails Luhn") }
        if let expiry { parts.append("exp \(expiry)") }
        if let cardholderName { parts.append("name \(Masking.name(cardholderName))") }
        if let idNumber { parts.append("ID \(Masking.idNumber(idNumber))") }
        if let idType { parts.append("ID type \([idType.rawValue].hexString)") }
        if let idNumberProblem { parts.append("ID problem: \(idNumberProblem)") }
        if let eCashBalanceFen { parts.append("e-cash \(eCashBalanceFen) fen") }
        return "PBOCCardData(" + parts.joined(separator: ", ") + ")"
    }

    public var debugDescription: String { description }

    /// Masked too, so `dump(_:)` and debuggers do not print raw personal data.
    public var customMirror: Mirror { Mirror(self, children: ["summary": description]) }
}
