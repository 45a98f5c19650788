public import KioskCore

/// What a ``SAMReader`` reports, in order.
///
/// Card events pair up: after every ``cardRead(_:at:)`` or ``readFailed(_:at:)`` episode comes one
/// ``cardRemoved(at:)`` (when the module reports no card, or just before ``moduleLost(_:)``). A card that stays in
/// the field is read once (the vendor rule that a card must leave before it is read again, cards.md §4.2).
public enum SAMReaderEvent: Sendable, CustomStringConvertible {
    /// The device is open and the module answered (at start, and again after ``moduleLost(_:)``).
    case moduleReady(device: String)
    /// A card was found and read. `at` is when the find reply (SW3 `9F`) arrived: the start of the tap.
    case cardRead(IDCardData, at: ContinuousClock.Instant)
    /// A card was found but could not be read (it left mid-read, the module refused it, or the reply was unusable).
    /// Reported once per presence; the reader keeps trying while the card stays.
    case readFailed(SAMReadFailure, at: ContinuousClock.Instant)
    /// The card that was read (or failed) left the field.
    case cardRemoved(at: ContinuousClock.Instant)
    /// The module stopped answering or the device went away; the reader closes it and reopens with backoff. The
    /// text is for a technician.
    case moduleLost(String)

    /// Masked (no personal data).
    public var description: String {
        switch self {
        case .moduleReady(let device): "moduleReady(\(device))"
        case .cardRead(let data, _): "cardRead(\(data))"
        case .readFailed(let failure, _): "readFailed(\(failure))"
        case .cardRemoved: "cardRemoved"
        case .moduleLost(let reason): "moduleLost(\(reason))"
        }
    }
}

/// Why a found card could not be read. Tells the person at the kiosk what to do (``guidance``).
public struct SAMReadFailure: Error, Sendable, Hashable, CustomStringConvertible, GuidanceProviding {
    /// The step that failed.
    public enum Step: String, Sendable, Hashable {
        case select
        case read
        case decode
    }

    public enum Reason: Sendable, Hashable, CustomStringConvertible {
        /// The module answered with this status (`41` read failed: the card left; `81` select failed; `32` not a
        /// genuine card …).
        case module(SAMStatus)
        /// No answer within the command timeout.
        case noAnswer
        /// The reply was dropped (checksum or length); the text says which.
        case corruptReply(String)
        /// The reply was well-formed but its content was not (lengths, block sizes).
        case malformedReply(String)
        /// The text block could not be decoded (wrong size, unknown card type).
        case undecodable(IDCardTextBlockError)

        public var description: String {
            switch self {
            case .module(let status): "\(status)"
            case .noAnswer: "no answer"
            case .corruptReply(let text): "corrupt reply: \(text)"
            case .malformedReply(let text): "malformed reply: \(text)"
            case .undecodable(let error): "\(error)"
            }
        }
    }

    public var step: Step
    public var reason: Reason

    public init(step: Step, reason: Reason) {
        self.step = step
        self.reason = reason
    }

    /// "Tap again" for a card that moved or a line glitch; "ask staff" for a card or module the reader cannot handle.
    public var guidance: Guidance {
        switch reason {
        case .module(let status) where status.isModuleFault: .askStaff
        case .module(.samAuthenticationFailed), .module(.unknownCardType), .undecodable:
            Guidance(zh: "无法识别此证件，请联系工作人员", en: "This card cannot be read. Please ask a member of staff")
        default: .tapAgain
        }
    }

    public var description: String { "\(step) failed: \(reason)" }
}
