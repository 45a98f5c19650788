/// How characters from a wedge scanner are framed into scans.
public struct ScannerFraming: Sendable, Hashable {
    /// Keys that end a scan.
    public var terminators: ScanTerminators = .default
    /// A scan also ends when no key arrives for this long (scanners without a terminator suffix). Scanners type a
    /// key every 5–60 ms; people type slower. Default 100 ms.
    public var interKeyGap: Duration = .milliseconds(100)
    /// Longest scan accepted, in characters; longer ones are discarded whole. Default 4096.
    public var maximumLength: Int = 4096
    /// The same text again within this window is dropped (a code held under the scanner). Default 2 s.
    public var duplicateWindow: Duration = .seconds(2)

    public init(
        terminators: ScanTerminators = .default, interKeyGap: Duration = .milliseconds(100),
        maximumLength: Int = 4096, duplicateWindow: Duration = .seconds(2)
    ) {
        self.terminators = terminators
        self.interKeyGap = interKeyGap
        self.maximumLength = maximumLength
        self.duplicateWindow = duplicateWindow
    }
}

/// Why a framed scan was not passed on.
public enum ScanDiscard: Sendable, Hashable, CustomStringConvertible {
    /// Longer than ``ScannerFraming/maximumLength``; `length` counts what arrived before the scan ended.
    case tooLong(length: Int)
    /// Identical to the previous scan within ``ScannerFraming/duplicateWindow``.
    case duplicate

    public var description: String {
        switch self {
        case .tooLong(let n): "too long (\(n) characters)"
        case .duplicate: "duplicate within the suppression window"
        }
    }
}

/// Frames typed characters into scans: a pure state machine generic over `Clock`.
///
/// The driver feeds characters and terminators with the instant they arrived and, when a
/// ``Action/scheduleGapTimer(_:)`` deadline passes with no input, calls ``gapTimerFired(at:)``. Every method returns
/// what to do; nothing here reads a clock or does I/O, so tests drive it with made-up instants.
public struct ScanAssembler<C: Clock>: Sendable where C.Duration == Duration {
    public enum Action: Sendable, Hashable {
        /// A complete scan. `endedByGap` is true when no terminator came.
        case emit(String, endedByGap: Bool)
        /// A scan was framed and dropped.
        case discard(ScanDiscard)
        /// Call ``gapTimerFired(at:)`` at this instant unless more input arrives first (it replaces any earlier one).
        case scheduleGapTimer(C.Instant)
        /// No scan in progress: no timer needed.
        case cancelGapTimer
    }

    private enum State: Sendable {
        case idle
        case collecting(text: String, length: Int, lastInput: C.Instant)
    }

    public let framing: ScannerFraming
    private var state: State = .idle
    private var lastEmitted: (text: String, at: C.Instant)?

    public init(framing: ScannerFraming = ScannerFraming()) {
        self.framing = framing
    }

    /// Whether characters of an unfinished scan are buffered.
    public var isCollecting: Bool {
        if case .collecting = state { return true }
        return false
    }

    /// The instant the current scan ends by gap, if one is in progress.
    public var gapDeadline: C.Instant? {
        if case .collecting(_, _, let last) = state { return last.advanced(by: framing.interKeyGap) }
        return nil
    }

    /// A character arrived at `now`.
    public mutating func receive(_ character: Character, at now: C.Instant) -> [Action] {
        var actions: [Action] = []
        if let deadline = gapDeadline, now >= deadline {
            // The timer did not fire in time (a burst read at once): the previous scan ended on its gap.
            actions += finish(at: deadline, byGap: true)
        }
        switch state {
        case .idle:
            state = .collecting(text: String(character), length: 1, lastInput: now)
        case .collecting(var text, let length, _):
            state = .idle  // drop the reference so `text` is appended in place
            if length < framing.maximumLength { text.append(character) }
            state = .collecting(text: text, length: length + 1, lastInput: now)
        }
        actions.append(.scheduleGapTimer(now.advanced(by: framing.interKeyGap)))
        return actions
    }

    /// A terminator key arrived at `now`.
    public mutating func terminate(at now: C.Instant) -> [Action] {
        var actions: [Action] = []
        if let deadline = gapDeadline, now >= deadline {
            actions += finish(at: deadline, byGap: true)
            return actions + [.cancelGapTimer]
        }
        return finish(at: now, byGap: false) + [.cancelGapTimer]
    }

    /// The gap timer fired at `now`. Ends the scan if the gap really passed; otherwise reschedules.
    public mutating func gapTimerFired(at now: C.Instant) -> [Action] {
        guard let deadline = gapDeadline else { return [.cancelGapTimer] }
        guard now >= deadline else { return [.scheduleGapTimer(deadline)] }
        return finish(at: deadline, byGap: true) + [.cancelGapTimer]
    }

    /// The input ended (device gone): an unfinished scan is dropped, since it may be cut short.
    public mutating func reset() {
        state = .idle
    }

    private mutating func finish(at instant: C.Instant, byGap: Bool) -> [Action] {
        guard case .collecting(let text, let length, _) = state else { return [] }
        state = .idle
        if length > framing.maximumLength {
            return [.discard(.tooLong(length: length))]
        }
        if let last = lastEmitted, last.text == text, instant < last.at.advanced(by: framing.duplicateWindow) {
            lastEmitted = (text, instant)  // a code held under the scanner stays suppressed
            return [.discard(.duplicate)]
        }
        lastEmitted = (text, instant)
        return [.emit(text, endedByGap: byGap)]
    }
}
