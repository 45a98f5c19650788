public import KioskCore

/// Everything ``CardRouter`` got from one card: the applications that answered, the identities (strongest first,
/// de-duplicated) and what went wrong along the way.
///
/// `identities`, `displayName` and the per-application data are personal data (see ``Identity``); `profiles`,
/// `rejectedFields` and `notes` carry no values and may be logged. `description` is masked.
public struct RoutedCardData: Sendable, Equatable, CustomStringConvertible {
    /// Applications that yielded data, in the order read: `ssse`, `pboc`, `bmac`.
    public var profiles: [String] = []
    /// Every identity of every application, strongest first, duplicates removed, each with ``displayName``.
    public var identities: [Identity] = []
    /// The holder's name: the social security card's EF06 name, else the PBOC cardholder name.
    public var displayName: String?
    /// Identity fields that failed their check and are not used (e.g. `EF06/08: … check digit …`, `9F61: …`).
    public var rejectedFields: [String] = []
    /// What else happened, e.g. `ssse: needs a PSAM (…)`, `pboc: no UnionPay application`, consistency problems.
    public var notes: [String] = []
    /// The application whose data was refused and replaced by another one: `ssse` when a spec-3.00 social security
    /// card needed a PSAM and its PBOC application was read instead (cards.md §3.4).
    public var fellBackFrom: String?
    /// Command APDUs sent (raw, including GET RESPONSE and `6C` resends).
    public var apduCount = 0

    /// The social security application's data, when SSSE answered.
    public var socialSecurity: SocialSecurityCardData?
    /// The PBOC application's data, when one was read.
    public var pboc: PBOCCardData?
    /// The Beijing transport application's issuer record, when present.
    public var transport: TransportCardData?

    public init() {}

    /// For ``CardReading/profile``-style fields: `ssse+pboc`, or `pboc (fell back from ssse: needs PSAM)`.
    public var profileSummary: String {
        let joined = profiles.isEmpty ? "none" : profiles.joined(separator: "+")
        guard let fellBackFrom else { return joined }
        return "\(joined) (fell back from \(fellBackFrom): needs PSAM)"
    }

    public var description: String {
        var parts = ["profiles \(profileSummary)", "identities \(identities)"]
        if let displayName { parts.append("name \(Masking.name(displayName))") }
        if !rejectedFields.isEmpty { parts.append("rejected \(rejectedFields)") }
        if !notes.isEmpty { parts.append("notes \(notes)") }
        parts.append("\(apduCount) APDUs")
        return "RoutedCardData(" + parts.joined(separator: ", ") + ")"
    }
}
