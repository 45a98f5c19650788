import Dispatch
import Synchronization

/// When a device thread last went round its loop, on the monotonic clock: other threads read it to tell a thread
/// that waits as designed (every wait in these loops is bounded) from one that is stuck in a call that never returns.
final class LoopHeartbeat: Sendable {
    private let lastBeat = Atomic<UInt64>(DispatchTime.now().uptimeNanoseconds)

    /// Called by the loop thread at the top of every round and before each bounded wait.
    func beat() { lastBeat.store(DispatchTime.now().uptimeNanoseconds, ordering: .releasing) }

    /// Time since the last ``beat()`` (zero if the clocks cross).
    var age: Duration {
        let now = DispatchTime.now().uptimeNanoseconds
        let last = lastBeat.load(ordering: .acquiring)
        return .nanoseconds(Int64(now > last ? now - last : 0))
    }
}
