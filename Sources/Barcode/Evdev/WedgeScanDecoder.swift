/// One framed result of a keyboard-wedge scanner.
public enum WedgeScan: Sendable, Hashable {
    /// A scan's text; `layoutHint` as in ``ScanEvent/layoutHint``.
    case text(String, endedByGap: Bool, layoutHint: KeyboardLayout?)
    case discarded(ScanDiscard)
}

/// The whole keyboard-wedge path without I/O: bytes of `struct input_event` records → ``InputEventDecoder`` →
/// ``KeystrokeDecoder`` (configured layout) → ``ScanAssembler``, plus the layout hint.
///
/// For the hint, the same key events also run through a decoder per other layout; when the configured layout gives
/// text that is not a recognised code (a valid ID number, `HC1:` + Base45, or a configured printed-code pattern) and
/// another layout does, that layout is reported. US and UK agree on every Base45 character, so they never hint at
/// each other for `HC1:` codes.
public struct WedgeScanDecoder: Sendable {
    public let layout: KeyboardLayout
    private var records = InputEventDecoder()
    private var primary: KeystrokeDecoder
    private var alternatives: [(decoder: KeystrokeDecoder, text: String)]
    private var assembler: ScanAssembler<ContinuousClock>
    private let classifier: PayloadClassifier

    public init(
        layout: KeyboardLayout, initialLocks: LockState = LockState(), framing: ScannerFraming = ScannerFraming(),
        classifier: PayloadClassifier = PayloadClassifier(), hintLayouts: [KeyboardLayout] = KeyboardLayout.allCases
    ) {
        self.layout = layout
        self.primary = KeystrokeDecoder(layout: layout, initialLocks: initialLocks, terminators: framing.terminators)
        self.alternatives = hintLayouts.filter { $0 != layout }.map {
            (KeystrokeDecoder(layout: $0, initialLocks: initialLocks, terminators: framing.terminators), "")
        }
        self.assembler = ScanAssembler(framing: framing)
        self.classifier = classifier
    }

    /// Current CapsLock/NumLock state as the decoder tracks it.
    public var locks: LockState { primary.locks }

    /// When ``gapTimerFired(at:)`` should be called if no bytes arrive first.
    public var gapDeadline: ContinuousClock.Instant? { assembler.gapDeadline }

    /// Bytes read at `now` (any split). Returns the scans they complete.
    public mutating func consume(_ bytes: some Collection<UInt8>, at now: ContinuousClock.Instant) -> [WedgeScan] {
        var scans: [WedgeScan] = []
        for event in records.decode(bytes) {
            scans += feed(event, at: now)
        }
        return scans
    }

    /// Feeds one decoded event (for callers that already have records).
    public mutating func feed(_ event: InputEvent, at now: ContinuousClock.Instant) -> [WedgeScan] {
        var scans: [WedgeScan] = []
        if let deadline = assembler.gapDeadline, now >= deadline {
            scans += apply(assembler.gapTimerFired(at: now))
        }
        let limit = assembler.framing.maximumLength
        for i in alternatives.indices {
            for case .character(let c) in alternatives[i].decoder.feed(event) where alternatives[i].text.count <= limit
            {
                alternatives[i].text.append(c)
            }
        }
        for keystroke in primary.feed(event) {
            switch keystroke {
            case .character(let c): scans += apply(assembler.receive(c, at: now))
            case .terminator: scans += apply(assembler.terminate(at: now))
            }
        }
        return scans
    }

    /// The gap timer's deadline passed with no input.
    public mutating func gapTimerFired(at now: ContinuousClock.Instant) -> [WedgeScan] {
        apply(assembler.gapTimerFired(at: now))
    }

    /// The device went away: an unfinished scan is dropped.
    public mutating func reset() {
        assembler.reset()
        clearAlternatives()
    }

    private mutating func apply(_ actions: [ScanAssembler<ContinuousClock>.Action]) -> [WedgeScan] {
        var scans: [WedgeScan] = []
        for action in actions {
            switch action {
            case .emit(let text, let byGap):
                scans.append(.text(text, endedByGap: byGap, layoutHint: hint(for: text)))
                clearAlternatives()
            case .discard(let reason):
                scans.append(.discarded(reason))
                clearAlternatives()
            case .scheduleGapTimer, .cancelGapTimer:
                break  // the driver reads `gapDeadline`
            }
        }
        return scans
    }

    private mutating func clearAlternatives() {
        for i in alternatives.indices { alternatives[i].text = "" }
    }

    private func hint(for text: String) -> KeyboardLayout? {
        guard !isClean(text) else { return nil }
        return alternatives.first { isClean($0.text.trimmingScanPadding()) }?.decoder.layout
    }

    private func isClean(_ text: String) -> Bool {
        switch classifier.classify(text) {
        case .residentID, .printedCode: true
        case .euDCC: text.trimmingScanPadding().dropFirst(4).allSatisfy(Base45.alphabet.contains)
        default: false
        }
    }
}

/// The Base45 alphabet (RFC 9285) used by `HC1:` codes.
enum Base45 {
    static let alphabet: Set<Character> = Set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
}
