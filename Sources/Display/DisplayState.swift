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
}
