public import Foundation
public import KioskCore

/// A reader event as the tap pipeline sees it, with the monotonic instant pcscd reported it (latency starts here).
public enum ReaderInput: Sendable, Hashable {
    case cardPresent(reader: String, atr: [UInt8], at: ContinuousClock.Instant)
    case cardRemoved(reader: String, at: ContinuousClock.Instant)
    /// The PC/SC service went away or came back; shown to technicians through the health summary.
    case serviceAvailable(Bool)
}

/// What a card yielded: its identities, strongest first, and the holder's name for the masked display.
public struct CardReading: Sendable, Hashable {
    public var identities: [Identity]
    public var displayName: String?
    /// Identity fields that failed their check (e.g. "9F61 check digit"), reported and not used.
    public var rejectedFields: [String]
    /// Which profile read the card, e.g. "pboc".
    public var profile: String

    public init(identities: [Identity], displayName: String?, rejectedFields: [String] = [], profile: String) {
        self.identities = identities
        self.displayName = displayName
        self.rejectedFields = rejectedFields
        self.profile = profile
    }
}

/// Reads a card on a reader: connect, run the card profile, disconnect.
public protocol CardIdentityReader: Sendable {
    /// - Throws: `CardError` (card removed, unsupported, malformed) or a reader error.
    func read(reader: String, atr: [UInt8]) async throws -> CardReading
}

/// The subject a visit is recorded under: a subject key and the key epoch it was derived in (DESIGN.md §4).
public struct VisitSubject: Sendable, Hashable {
    public var key: SubjectKey
    public var epoch: Int

    public init(key: SubjectKey, epoch: Int) {
        self.key = key
        self.epoch = epoch
    }
}

/// Resolves identities to a status (the central service within its deadline, else the snapshot).
public protocol StatusResolving: Sendable {
    /// The resolution and the subject recorded in the visit log (the matched key, else the strongest one, in the
    /// epoch the keys were derived in; `nil` when no key can be computed, e.g. no snapshot).
    func resolve(_ identities: [Identity], now: Date) async -> (Resolution, VisitSubject?)
}

/// Appends a visit durably before its result is shown (到访人信息登记簿).
public protocol VisitRecording: Sendable {
    /// Appends one visit; returns its id (a random UUID, the upload's idempotency key; never personal data).
    @discardableResult
    func recordVisit(venueID: String, at: Date, subject: VisitSubject?, resolution: Resolution) async throws -> UUID
}
