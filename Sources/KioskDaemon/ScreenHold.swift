/// When a result screen goes back to idle: a pure rule, tested without a clock.
///
/// A result stays for at most `hold` after it was shown (privacy: the next person must not see it), and once the
/// card is removed it stays until at least `minimumHold` after it was shown, so a quick tap can still be read.
public struct ScreenHold<Instant: InstantProtocol>: Sendable where Instant.Duration == Swift.Duration {
    public var hold: Duration
    public var minimumHold: Duration

    public init(hold: Duration, minimumHold: Duration) {
        self.hold = hold
        self.minimumHold = min(minimumHold, hold)
    }

    /// The instant the screen returns to idle.
    /// - Parameters:
    ///   - shownAt: when the result frame was written.
    ///   - removedAt: when the card left the reader, or `nil` while it is still there.
    public func idleDeadline(shownAt: Instant, removedAt: Instant?) -> Instant {
        let latest = shownAt.advanced(by: hold)
        guard let removedAt else { return latest }
        let afterRemoval = max(removedAt, shownAt.advanced(by: minimumHold))
        return min(latest, afterRemoval)
    }
}
