import Dispatch
import Synchronization

/// Sleeps on a one-shot libdispatch timer source (uptime clock, `DispatchTime`) that is cancelled, and so removed
/// from libdispatch's timer heap, when the sleeping task is cancelled. Use it instead of `Task.sleep` for timers that
/// are usually cancelled before they fire: deadlines and timeouts raced against an answer (the watchdog's liveness
/// probe at every ping, a lookup's deadline, a trigger's wait).
///
/// Why: with Swift 6.3 on Linux a cancelled `Task.sleep` stays in libdispatch's timer heap. At its original deadline
/// the manager thread still wakes workers of the concurrency pool to discard it, and since idle workers exit after
/// 5 s, it often creates threads for that. (Seen with `strace -f`: in an idle kioskd, two new worker threads 7.5 s
/// after every watchdog ping, from the liveness probe's cancelled timeout; in a ten-line program, a
/// `Task.sleep(for: .seconds(3))` cancelled after 100 ms wakes two threads 3 s later, this sleep none.)
///
/// ```swift
/// try await DispatchSleep.sleep(for: .seconds(30))  // CancellationError at once when the task is cancelled
/// ```
public enum DispatchSleep {
    /// Returns after `duration` (at once for zero or less; no leeway).
    /// - Throws: `CancellationError` when the calling task is cancelled (before or during the sleep); the timer is
    ///   cancelled with it.
    public static func sleep(for duration: Duration) async throws {
        try Task.checkCancellation()
        guard duration > .zero else { return }
        let sleeper = Sleeper()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                sleeper.start(continuation, after: duration)
            }
        } onCancel: {
            sleeper.finish(cancelled: true)
        }
    }

    /// Returns at `deadline` on the continuous clock (at once if it has passed); see ``sleep(for:)``.
    public static func sleep(until deadline: ContinuousClock.Instant) async throws {
        try await sleep(for: deadline - .now)
    }

    static func nanoseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        let total = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !total.overflow else { return Int.max }
        return Int(clamping: total.partialValue + attoseconds / 1_000_000_000)
    }

    /// The continuation and its timer; whichever of the timer and the cancellation comes first resumes it.
    private final class Sleeper: Sendable {
        /// A dispatch source: libdispatch objects may be used from any thread.
        private struct Timer: @unchecked Sendable {
            let source: any DispatchSourceTimer
        }

        private struct State {
            var continuation: CheckedContinuation<Void, any Error>?
            var timer: Timer?
            var finished = false
        }

        private let state = Mutex(State())

        func start(_ continuation: CheckedContinuation<Void, any Error>, after duration: Duration) {
            let nanoseconds = DispatchSleep.nanoseconds(duration)
            let timer = DispatchSource.makeTimerSource(queue: .global())
            timer.schedule(
                deadline: .now() + .nanoseconds(nanoseconds),
                leeway: .nanoseconds(0))
            timer.setEventHandler { [self] in finish(cancelled: false) }
            let alreadyCancelled = state.withLock { state -> Bool in
                if state.finished { return true }
                state.continuation = continuation
                state.timer = Timer(source: timer)
                return false
            }
            timer.activate()
            if alreadyCancelled {
                timer.cancel()
                continuation.resume(throwing: CancellationError())
            }
        }

        func finish(cancelled: Bool) {
            let (continuation, timer) = state.withLock { state -> (CheckedContinuation<Void, any Error>?, Timer?) in
                state.finished = true
                defer {
                    state.continuation = nil
                    state.timer = nil
                }
                return (state.continuation, state.timer)
            }
            timer?.source.cancel()
            if cancelled {
                continuation?.resume(throwing: CancellationError())
            } else {
                continuation?.resume()
            }
        }
    }
}
