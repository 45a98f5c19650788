public import Foundation
public import KioskCore
public import Logging
import Synchronization

/// Turns the identities read from a card into a ``Resolution`` (DESIGN.md §1 step 4).
///
/// **Online first.** With a ``CentralClient``, the subject keys of the identities (up to 4, strongest first,
/// derived with the installed snapshot's epoch key, which the manifest delivers) go to the centre in one request
/// within the client's lookup deadline (default 800 ms). The centre's answer is for the first key it knows; the
/// resolution's provenance is `.online`. On a timeout, a connection error, a 5xx, a 409 (epoch mismatch), any
/// other refusal or a malformed answer, the snapshot answers instead and ``ResolvedTap/fallback`` says why.
/// After a timeout or connection error the centre is skipped for ``Policy/onlineRetryAfterFailure`` so a dead
/// network does not add the deadline to every tap.
///
/// **Offline policy**, checked before any snapshot lookup:
/// - no snapshot installed (or the store cannot be read) → `cannotVerify(.noData)` (and no online lookup: there is
///   no epoch key to derive subject keys with);
/// - the local clock is earlier than the snapshot's `createdAt` by more than ``Policy/clockSkewTolerance`` →
///   `cannotVerify(.clockBehindSnapshot)`, online or not (a dead RTC must not make old data look fresh, and visits
///   would be logged at wrong times);
/// - the snapshot is older than its maximum age → `cannotVerify(.snapshotTooOld)`, never a stale green. The maximum
///   age is the manifest's `maxAgeSeconds` capped by ``Policy/maximumAge`` (the local ceiling). When the last
///   server `Date` shows the local clock more than ``Policy/maximumServerSkew`` *behind* the centre, the age is
///   also measured on the centre's clock, and the older of the two counts.
public struct Resolver: Sendable {
    /// Policy settings.
    public struct Policy: Sendable, Hashable {
        /// Local ceiling on a snapshot's age, from its `createdAt`. Default 48 h (the Swiss verifier's offline
        /// limit; statuses are refreshed at least every 24 h).
        public var maximumAge: Duration
        /// How far the local clock may be behind the snapshot's `createdAt` before it is called wrong. Default 5 min.
        public var clockSkewTolerance: Duration
        /// Above this difference between the local clock and the centre's `Date`, the clock is reported as skewed
        /// (anchors §2.3: 2 h). Default 2 h.
        public var maximumServerSkew: Duration
        /// After a timeout or connection error, taps skip the centre for this long. Default 10 s; `.zero` always
        /// asks.
        public var onlineRetryAfterFailure: Duration

        public init(
            maximumAge: Duration = .seconds(48 * 3600), clockSkewTolerance: Duration = .seconds(300),
            maximumServerSkew: Duration = .seconds(2 * 3600), onlineRetryAfterFailure: Duration = .seconds(10)
        ) {
            self.maximumAge = maximumAge
            self.clockSkewTolerance = clockSkewTolerance
            self.maximumServerSkew = maximumServerSkew
            self.onlineRetryAfterFailure = onlineRetryAfterFailure
        }
    }

    public var snapshot: SnapshotStore
    /// The central service, or `nil` for snapshot-only resolution.
    public var central: CentralClient?
    public var policy: Policy
    private let logger: Logger
    private let backoff = OnlineBackoff()

    /// - Parameters:
    ///   - central: the central service; `nil` resolves from the snapshot only.
    ///   - logger: the caller's logger (libraries never make their own); entries carry no identity.
    public init(snapshot: SnapshotStore, central: CentralClient? = nil, policy: Policy = Policy(), logger: Logger) {
        self.snapshot = snapshot
        self.central = central
        self.policy = policy
        self.logger = logger
    }

    /// Resolves one tap: online first, then the snapshot. Never throws.
    public func resolve(_ identities: [Identity], now: Date) async -> Resolution {
        await resolveTap(identities, now: now).resolution
    }

    /// Resolves one tap and says what to log for it: the visit's subject key and epoch, and why the centre did
    /// not answer, if it did not.
    public func resolveTap(_ identities: [Identity], now: Date) async -> ResolvedTap {
        let ordered = identities.strongestFirst()
        let metadata: SnapshotMetadata?
        do { metadata = try snapshot.metadata() } catch {
            logger.info("snapshot metadata unreadable", metadata: ["kiosk.error": "\(error)"])
            metadata = nil
        }
        guard let central else { return resolveOffline(ordered, now: now, fallback: .notConfigured) }
        guard let metadata else { return resolveOffline(ordered, now: now, fallback: .noEpochKey) }
        if now.timeIntervalSince(metadata.createdAt) < -Self.seconds(policy.clockSkewTolerance) {
            return resolveOffline(ordered, now: now, fallback: .clockBehindSnapshot)
        }
        if ordered.isEmpty { return resolveOffline(ordered, now: now, fallback: .noIdentity) }
        if backoff.isBackingOff(retryAfter: policy.onlineRetryAfterFailure) {
            return resolveOffline(ordered, now: now, fallback: .backingOff)
        }

        var keys: [SubjectKey] = []
        for identity in ordered where keys.count < 4 {
            let key = SubjectKey(identity: identity, epochKey: metadata.epochKey)
            if !keys.contains(key) { keys.append(key) }
        }
        do {
            let answer = try await central.lookup(keys: keys, epoch: metadata.epoch)
            backoff.succeeded()
            let skew = checkSkew(central)
            let resolution: Resolution
            let visitKey: SubjectKey
            if let (key, record) = answer.firstKnown {
                resolution = Resolution(outcome: .found(record, matched: key), provenance: .online, resolvedAt: now)
                visitKey = key
            } else {
                resolution = Resolution(outcome: .unknownPerson, provenance: .online, resolvedAt: now)
                visitKey = keys[0]
            }
            return ResolvedTap(
                resolution: resolution, visitKey: visitKey, epoch: metadata.epoch, fallback: nil, clockSkew: skew)
        } catch {
            if error.code == .timeout || error.code == .connection { backoff.failed() }
            logger.info(
                "central lookup failed; answering from the snapshot",
                metadata: ["kiosk.central.error": "\(error.code.rawValue)", "kiosk.central.detail": "\(error)"])
            var tap = resolveOffline(ordered, now: now, fallback: .failed(error.code))
            tap.clockSkew = checkSkew(central)
            return tap
        }
    }

    /// Resolves one tap from the snapshot only, with the offline policy above. Never throws.
    public func resolveOffline(_ identities: [Identity], now: Date) -> Resolution {
        resolveOffline(identities.strongestFirst(), now: now, fallback: .notConfigured).resolution
    }

    private func resolveOffline(_ ordered: [Identity], now: Date, fallback: OnlineFallback) -> ResolvedTap {
        func tap(_ resolution: Resolution, key: SubjectKey? = nil, epoch: Int? = nil) -> ResolvedTap {
            ResolvedTap(
                resolution: resolution, visitKey: key, epoch: key == nil ? nil : epoch, fallback: fallback,
                clockSkew: nil)
        }
        func cannotVerify(_ reason: CannotVerifyReason) -> ResolvedTap {
            tap(Resolution(outcome: .cannotVerify, provenance: .cannotVerify(reason: reason), resolvedAt: now))
        }
        let lookup: SnapshotLookup?
        do {
            lookup = try snapshot.lookup(ordered)
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
        var maximumAge = Self.seconds(policy.maximumAge)
        if let listAge = metadata.maxAgeSeconds { maximumAge = min(maximumAge, TimeInterval(listAge)) }
        var oldest = age
        if let sample = central?.lastClockSample, sample.skew < 0, sample.exceeds(policy.maximumServerSkew) {
            // The local clock is behind the centre's: measure on the centre's clock too, so it cannot keep a stale
            // snapshot looking fresh.
            oldest = max(age, age - sample.skew)
        }
        if oldest > maximumAge {
            logger.debug(
                "snapshot too old",
                metadata: ["kiosk.snapshot.sequence": "\(metadata.sequence)", "kiosk.snapshot.age_s": "\(Int(oldest))"])
            return cannotVerify(.snapshotTooOld)
        }
        let provenance = Provenance.snapshot(sequence: metadata.sequence, asOf: metadata.createdAt)
        guard let match = lookup.match else {
            // Unknown person: log the strongest identity's key, so repeat visits of the same card can be counted.
            let key = ordered.first.map { SubjectKey(identity: $0, epochKey: metadata.epochKey) }
            return tap(
                Resolution(outcome: .unknownPerson, provenance: provenance, resolvedAt: now), key: key,
                epoch: metadata.epoch)
        }
        return tap(
            Resolution(outcome: .found(match.record, matched: match.subjectKey), provenance: provenance, resolvedAt: now),
            key: match.subjectKey, epoch: metadata.epoch)
    }

    /// The skew of the last server sample when it is above the policy's limit (logged), else `nil`.
    private func checkSkew(_ central: CentralClient) -> TimeInterval? {
        guard let sample = central.lastClockSample, sample.exceeds(policy.maximumServerSkew) else { return nil }
        // A technician must act (fix NTP or the RTC): a warning, once per quarter hour, not on every tap.
        if backoff.shouldWarnAboutClock(every: 900) {
            logger.warning(
                "the kiosk clock differs from the central service's by more than the allowed skew: check NTP and the RTC battery",
                metadata: [
                    "kiosk.clock.skew_s": "\(Int(sample.skew))", "kiosk.clock.server": "\(sample.serverDate)",
                    "kiosk.clock.allowed_s": "\(policy.maximumServerSkew.components.seconds)",
                ])
        }
        return sample.skew
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        let (seconds, attoseconds) = duration.components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}

/// One resolved tap with what the visit log and the technician need besides the ``Resolution``.
public struct ResolvedTap: Sendable, Hashable {
    public var resolution: Resolution
    /// The key to log with the visit: the matched key; for an unknown person the strongest identity's key; `nil`
    /// when no key could be derived (no snapshot) or nothing could be verified.
    public var visitKey: SubjectKey?
    /// The epoch `visitKey` was derived in.
    public var epoch: Int?
    /// Why the centre did not answer, or `nil` when it did (`.online`).
    public var fallback: OnlineFallback?
    /// Local minus server clock, in seconds, when the last server `Date` differed by more than the policy allows.
    public var clockSkew: TimeInterval?

    public init(
        resolution: Resolution, visitKey: SubjectKey?, epoch: Int?, fallback: OnlineFallback?,
        clockSkew: TimeInterval?
    ) {
        self.resolution = resolution
        self.visitKey = visitKey
        self.epoch = epoch
        self.fallback = fallback
        self.clockSkew = clockSkew
    }
}

/// Why a tap was not answered online.
public enum OnlineFallback: Sendable, Hashable, CustomStringConvertible {
    /// No central service configured (snapshot-only kiosk).
    case notConfigured
    /// No snapshot installed yet, so no epoch key to derive subject keys with.
    case noEpochKey
    /// The local clock is behind the snapshot: nothing is trusted.
    case clockBehindSnapshot
    /// Nothing to look up.
    case noIdentity
    /// A recent timeout or connection error: the centre is skipped for a while.
    case backingOff
    /// The lookup failed this way.
    case failed(CentralClientError.Code)

    public var description: String {
        switch self {
        case .notConfigured: "notConfigured"
        case .noEpochKey: "noEpochKey"
        case .clockBehindSnapshot: "clockBehindSnapshot"
        case .noIdentity: "noIdentity"
        case .backingOff: "backingOff"
        case .failed(let code): code.rawValue
        }
    }
}

/// When the centre last failed by timeout or connection error (shared by copies of a ``Resolver``).
final class OnlineBackoff: Sendable {
    private let lastFailure = Mutex<ContinuousClock.Instant?>(nil)

    func isBackingOff(retryAfter: Duration) -> Bool {
        lastFailure.withLock { last in last.map { ContinuousClock.now < $0 + retryAfter } ?? false }
    }

    func failed() { lastFailure.withLock { $0 = .now } }
    func succeeded() { lastFailure.withLock { $0 = nil } }

    private let lastClockWarning = Mutex<ContinuousClock.Instant?>(nil)

    /// Whether a clock warning is due: the first time, then at most once per `seconds`.
    func shouldWarnAboutClock(every seconds: Int64) -> Bool {
        lastClockWarning.withLock { last in
            let now = ContinuousClock.now
            if let last, now < last + .seconds(seconds) { return false }
            last = now
            return true
        }
    }
}
