public import KioskCore

/// What the kiosk wants to show, in KioskCore values only (Display never sees SmartCard or Resolution types).
/// ``Layout/screen(for:now:venue:timeZone:)`` turns it into a ``Screen``.
public enum DisplayState: Sendable, Hashable {
    /// Waiting for a card.
    case idle
    /// A card is being read.
    case reading
    /// A tap was resolved. `name` is the cardholder's name and `identity` the strongest identity read; the layout
    /// shows both **masked** (张*明, 110***********123X) and nothing else of them.
    case resolved(Resolution, name: String?, identity: Identity?)
    /// The card could not be read (removed too early, not a supported card); the guidance says what to do.
    case cardProblem(Guidance)
    /// The card was read but its ID number failed its check (GB 11643, Luhn).
    case invalidID
    /// Any other notice, in a tone of the caller's choice.
    case message(Guidance, tone: Screen.Tone)
    /// A resident ID card on a plain PC/SC reader (SmartCard's `IDCardOnPCSCReader`): use the ID-card reader.
    case idCardOnWrongReader
    /// A scanned code that cannot be used; `guidance` says why (Barcode's `ScanPayload.guidance`).
    case codeNotRecognised(Guidance)
    /// 他人代查: the people tapped in a row, oldest first. The layout shows the last ``Screen/maximumTiles``.
    case severalPeople([TappedPerson])
}

/// One resolved tap of a 他人代查 sequence: what ``DisplayState/resolved(_:name:identity:)`` holds for one person.
public struct TappedPerson: Sendable, Hashable {
    public var resolution: Resolution
    /// Cardholder name (shown masked).
    public var name: String?
    /// Strongest identity read (shown masked).
    public var identity: Identity?

    public init(resolution: Resolution, name: String?, identity: Identity?) {
        self.resolution = resolution
        self.name = name
        self.identity = identity
    }
}
