/// Drops a scan identical to the previous one within a window (a code held under a HID POS or serial scanner;
/// wedge scanners get the same from ``ScanAssembler``). Pure.
struct DuplicateFilter: Sendable {
    let window: Duration
    private var last: (text: String, at: ContinuousClock.Instant)?

    init(window: Duration) { self.window = window }

    /// Whether `text` at `now` is new; a suppressed repeat extends the window.
    mutating func admit(_ text: String, at now: ContinuousClock.Instant) -> Bool {
        defer { last = (text, now) }
        guard let last, last.text == text else { return true }
        return now >= last.at + window
    }
}
