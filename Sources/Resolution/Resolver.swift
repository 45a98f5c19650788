public import Foundation
public import KioskCore
public import Logging

/// Turns the identities read from a card into a ``Resolution`` (DESIGN.md §1 step 4).
///
/// For now the only source is the local ``SnapshotStore``. The online central service arrives in a later issue as
/// a second source: an `async` `resolve` will ask `CentralClient` within the deadline (default 800 ms) and, on
/// timeout, network error or 5xx, fall back to ``resolve(_:now:)``, whose offline policy stays exactly as here.
///
/// Offline policy, checked before any lookup:
/// - no snapshot installed (or the store cannot be read) → `cannotVerify(.noData)`;
/// - the local clock is earlier than the snapshot's `createdAt` by more than ``Policy/clockSkewTolerance`` →
///   `cannotVerify(.clockBehindSnapshot)` (a dead RTC must not make old data look fresh);
/// - the snapshot is older than ``Policy/maximumAge`` → `cannotVerify(.snapshotTooOld)`, never a stale green.
public struct Resolver: Sendable {
    /// Offline policy settings.
    public struct Policy: Sendable, Hashable {
        /// Oldest snapshot still trusted, measured from its `createdAt`. Default 48 h (the Swiss verifier's
        /// offline limit; statuses are refreshed at least every 24 h).
        public var maximumAge: Duration
        /// How far the local clock may be behind the snapshot's `createdAt` before it is called wrong (server and
        /// kiosk clocks differ a little). Default 5 minutes.
        public var clockSkewTolerance: Duration

        public init(maximumAge: Duration = .seconds(48 * 3600), clockSkewTolerance: Duration = .seconds(300)) {
            self.maximumAge = maximumAge
            self.clockSkewTolerance = clockSkewTolerance
        }
    }

    public var snapshot: SnapshotStore
    public var policy: Policy
    private let logger: Logger

    /// - Parameter logger: the caller's logger (libraries never make their own); entries carry no identity.
    public init(snapshot: SnapshotStore, policy: Policy = Policy(), logger: Logger) {
        self.snapshot = snapshot
        self.policy = policy
        self.logger = logger
    }

    /// Resolves one tap from the snapshot.
    ///
    /// Subject keys are derived with the snapshot's epoch key and looked up strongest identity first
    /// (`strongestFirst()`); the first key the snapshot knows answers. Never throws: anything that prevents an
    /// answer is a `cannotVerify` resolution.
    public func resolve(_ identities: [Identity], now: Date) -> Resolution {
        func cannotVerify(_ reason: CannotVerifyReason) -> Resolution {
            Resolution(outcome: .cannotVerify, provenance: .cannotVerify(reason: reason), resolvedAt: now)
        }
        let lookup: SnapshotLookup?
        do {
            lookup = try snapshot.lookup(identities.strongestFirst())
        } catch {
            logger.info("snapshot lookup failed", metadata: ["kiosk.error": "\(error)"])
            return cannotVerify(.noData)
        }
        guard let lookup else { return cannotVerify(.noData) }
        let metadata = lookup.metadata
        let age = now.timeIntervalSince(metadata.createdAt)
        if age < -Self.seconds(policy.clockSkewTolerance) {
            logger.debug(
                "local clock is behind the snapshot",
                metadata: ["kiosk.snapshot.sequence": "\(metadata.sequence)", "kiosk.snapshot.age_s": "\(Int(age))"])
            return cannotVerify(.clockBehindSnapshot)
        }
        if age > Self.seconds(policy.maximumAge) {
            logger.debug(
                "snapshot too old",
                metadata: ["kiosk.snapshot.sequence": "\(metadata.sequence)", "kiosk.snapshot.age_s": "\(Int(age))"])
            return cannotVerify(.snapshotTooOld)
        }
        let provenance = Provenance.snapshot(sequence: metadata.sequence, asOf: metadata.createdAt)
        guard let match = lookup.match else {
            return Resolution(outcome: .unknownPerson, provenance: provenance, resolvedAt: now)
        }
        return Resolution(
            outcome: .found(match.record, matched: match.subjectKey), provenance: provenance, resolvedAt: now)
    }

    private static func seconds(_ duration: Duration) -> TimeInterval {
        let (seconds, attoseconds) = duration.components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
