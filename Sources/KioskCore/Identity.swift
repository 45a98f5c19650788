/// What kind of document or token an ``Identity`` value came from.
///
/// The raw value is part of the subject-key input (`"kind:value"`, DESIGN.md §4), so it must never change once
/// snapshots have been built with it.
public enum IdentityKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// 18-character resident identity number (GB 11643-1999), validated.
    case residentID = "resident-id"
    /// Foreign permanent resident ID number (2017 15-character or 2023 18-character form).
    case foreignPermanentResident = "foreign-pr"
    /// Hong Kong / Macau / Taiwan residence permit number (18 characters, 81/82/83 prefix).
    case residencePermit = "hmt-permit"
    /// Social security card number (EF05 tag 07, 9 characters).
    case socialSecurityCard = "ssc-card"
    /// Bank card PAN (the senior card's financial application, PBOC 3.0 part 5 tag 5A).
    case bankCardPAN = "pan"
    /// An opaque printed-code token (health-code card or e-social-security QR), passed verbatim.
    case printedCode = "code"
}

/// One way of naming a person, read from a card or a code.
///
/// `value` is the **normalised raw value** (upper-case ID number, digits-only PAN). It is personal data: it must
/// never be logged, stored or sent. The only derived forms allowed to leave memory are the ``SubjectKey`` and the
/// masked forms of ``Masking``. `description` is masked for that reason.
public struct Identity: Sendable, Hashable, CustomStringConvertible {
    public var kind: IdentityKind
    /// Normalised raw value. Personal data: never log or persist.
    public var value: String
    /// Cardholder name as printed on the card, for the masked display only.
    public var displayName: String?
    /// Whether `value` passed its check (GB 11643 check digit, Luhn). Unvalidated identities are weaker.
    public var isValidated: Bool

    public init(kind: IdentityKind, value: String, displayName: String? = nil, isValidated: Bool) {
        self.kind = kind
        self.value = value
        self.displayName = displayName
        self.isValidated = isValidated
    }

    /// Strength order for lookups (DESIGN.md §4): validated ID numbers first, then card numbers, then tokens.
    public var strength: Int {
        let base: Int
        switch kind {
        case .residentID, .foreignPermanentResident, .residencePermit: base = 30
        case .socialSecurityCard: base = 20
        case .bankCardPAN: base = 15
        case .printedCode: base = 10
        }
        return base + (isValidated ? 5 : 0)
    }

    /// Masked form, safe for logs: kind and masked value.
    public var description: String {
        "\(kind.rawValue):\(Masking.maskedValue(of: self))"
    }
}

extension Array where Element == Identity {
    /// The identities ordered strongest first (DESIGN.md §4), duplicates removed.
    public func strongestFirst() -> [Identity] {
        var seen = Set<String>()
        return self.enumerated()
            .sorted { lhs, rhs in
                lhs.element.strength != rhs.element.strength
                    ? lhs.element.strength > rhs.element.strength : lhs.offset < rhs.offset
            }
            .map(\.element)
            .filter { seen.insert("\($0.kind.rawValue):\($0.value)").inserted }
    }
}
