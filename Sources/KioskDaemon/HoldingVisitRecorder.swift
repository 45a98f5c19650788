public import Foundation
public import KioskCore
public import Logging
public import Resolution
import Synchronization

/// Appends each tap's visit to the ``VisitLog``; when the log cannot be written (the state directory's disk is full,
/// an I/O error) the visit is held in memory instead, in order, and the held visits are written before the next
/// visit, or by ``flush()``, as soon as the log takes writes again. The tap is answered either way: the person is
/// never stuck at the gate because of a disk.
///
/// A visit held in memory is lost only if `kioskd` dies before the disk recovers; the log says so loudly when holding
/// starts (error), every 100 held visits (warning) and when it ends (notice), with the count. At most
/// ``maximumHeld`` visits are held; beyond that the oldest held visit is dropped with a critical entry.
public final class HoldingVisitRecorder: VisitRecording, Sendable {
    /// The visit log written to.
    public let log: VisitLog
    /// The most visits held in memory (about 200 bytes each).
    public static let maximumHeld = 50_000
    private let logger: Logger
    private struct State {
        var held: [Visit] = []
        var failingSince: Date?
        var dropped = 0
    }
    private let state = Mutex(State())
    private let changes: SyncTrigger?
    /// Requested when visits start being held in memory (the log failed a write), for a loop that calls
    /// ``flush()`` until they are written and sleeps otherwise.
    public let holdingStarted = SyncTrigger()
    /// Requested whenever visits reach the log (each visit written, at once or from memory later), for the uploader.
    public let recorded = SyncTrigger()

    /// - Parameter changes: requested after each visit recorded (written or held) and each flush that wrote some
    ///   (the kiosk's status line shows both counts).
    public init(log: VisitLog, logger: Logger, changes: SyncTrigger? = nil) {
        self.log = log
        self.logger = logger
        self.changes = changes
    }

    /// Visits waiting in memory for the log to take writes again.
    public var heldCount: Int { state.withLock { $0.held.count } }

    /// Holds the visit, then writes every held visit in order (``flush()``). Never throws: a visit that cannot be
    /// written stays held.
    @discardableResult
    public func recordVisit(venueID: String, at: Date, subject: VisitSubject?, resolution: Resolution) async throws
        -> UUID
    {
        let visit = Visit(
            venue: venueID, at: at, subjectKey: subject?.key, epoch: subject?.epoch, result: resolution.resultCode,
            provenance: resolution.provenanceCode)
        state.withLock { state in
            state.held.append(visit)
            if state.held.count > Self.maximumHeld {
                state.held.removeFirst()
                state.dropped += 1
                logger.critical(
                    "the visit log has not taken writes for too long: the oldest visit held in memory is dropped",
                    metadata: ["kiosk.visits.dropped": "\(state.dropped)", "kiosk.visit_log.path": "\(log.path)"])
            }
        }
        flush()
        changes?.request()
        return visit.id
    }

    /// Writes the held visits, oldest first, until one fails.
    /// - Returns: how many are still held.
    @discardableResult
    public func flush() -> Int {
        let (held, written, startedHolding) = flushLocked()
        if startedHolding { holdingStarted.request() }
        if written > 0 {
            recorded.request()
            changes?.request()
        }
        return held
    }

    /// (still held, written now, whether holding started now).
    private func flushLocked() -> (Int, Int, Bool) {
        state.withLock { state in
            // Written visits leave the front in one step at the end: removing them one by one would move every
            // held visit once per visit written (50,000 held → over a billion moves while the tap waits).
            var written = 0
            defer { state.held.removeFirst(written) }
            while written < state.held.count {
                do {
                    try log.append(state.held[written])
                } catch is VisitLog.DuplicateVisit {
                    // Already on disk (cannot happen for a new UUID, but never write a visit twice).
                } catch {
                    let startedHolding = state.failingSince == nil
                    if startedHolding {
                        state.failingSince = Date()
                        logger.error(
                            "the visit log cannot be written (disk full?): visits are held in memory until it can; free space in its directory",
                            metadata: [
                                "kiosk.error": "\(error)", "kiosk.visits.held": "\(state.held.count - written)",
                                "kiosk.visit_log.path": "\(log.path)",
                            ])
                    } else if (state.held.count - written) % 100 == 0 {
                        logger.warning(
                            "the visit log still cannot be written: visits held in memory",
                            metadata: ["kiosk.error": "\(error)", "kiosk.visits.held": "\(state.held.count - written)"])
                    }
                    return (state.held.count - written, written, startedHolding)
                }
                written += 1
            }
            if let since = state.failingSince {
                state.failingSince = nil
                logger.notice(
                    "the visit log takes writes again: the visits held in memory are written",
                    metadata: [
                        "kiosk.visits.written": "\(written)",
                        "kiosk.visits.failing_s": "\(Int(Date().timeIntervalSince(since)))",
                    ])
            }
            return (0, written, false)
        }
    }
}
