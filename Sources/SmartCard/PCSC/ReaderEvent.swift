/// What a ``ReaderMonitor`` reports. Events for one reader come in order and always pair up: `readerAdded` before any
/// card event of that reader, `cardPresent` and `cardRemoved` alternate, and a reader that disappears (or whose pcscd
/// goes away) first gets `cardRemoved` if it had a card, then `readerRemoved`. A consumer can therefore keep its own
/// table of readers and cards from the events alone.
public enum ReaderEvent: Sendable, Hashable, CustomStringConvertible {
    /// pcscd lists a (not ignored) reader: at start, on hot-plug, and again after pcscd came back.
    case readerAdded(String)
    /// The reader is gone (unplugged, or pcscd stopped).
    case readerRemoved(String)
    /// A card with answer-to-reset `atr` (ISO/IEC 7816-3 §8, at most 33 bytes) is in `reader` and responding.
    /// `at` is when `SCardGetStatusChange` returned with the new state: the start of a tap's latency budget.
    /// A card already in the reader when monitoring starts is reported too.
    case cardPresent(reader: String, atr: [UInt8], at: ContinuousClock.Instant)
    /// The card left `reader`. Also emitted between two `cardPresent` of a fast remove-and-tap that happened within
    /// one wait (detected from the event counter).
    case cardRemoved(reader: String)
    /// pcscd could not be reached (not running, stopped or restarting); the monitor keeps retrying with backoff.
    /// Every reader was reported removed before this.
    case serviceUnavailable(PCSCError)
    /// A new context was established after ``serviceUnavailable(_:)``; readers follow as `readerAdded`.
    case serviceRestored

    public var description: String {
        switch self {
        case .readerAdded(let name): "readerAdded(\(name))"
        case .readerRemoved(let name): "readerRemoved(\(name))"
        case .cardPresent(let reader, let atr, _): "cardPresent(\(reader), ATR \(atr.hexString))"
        case .cardRemoved(let reader): "cardRemoved(\(reader))"
        case .serviceUnavailable(let error): "serviceUnavailable(\(error))"
        case .serviceRestored: "serviceRestored"
        }
    }
}
