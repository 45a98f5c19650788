import KioskCore
import Synchronization

/// Wakes a waiting loop: ``request()`` makes the current or next ``wait(upTo:)`` (or ``wait()``) return at once.
///
/// `CentralClient` requests a snapshot sync when the centre answers a lookup with 409 (the key epoch rotated):
/// the kiosk then fetches the new manifest now instead of at the next scheduled sync, so it stops sending keys in
/// an epoch the centre no longer uses. `kioskd` also uses triggers so that its loops sleep until there is work
/// instead of polling (the systemd status line, visits held in memory). Requests made while nobody waits are
/// remembered (one, not a count). One waiter at a time.
public final class SyncTrigger: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    public init() {}

    /// Asks the waiting loop to run now.
    public func request() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns after `timeout`, or earlier when ``request()`` is called (or was called since the last wait).
    /// - Returns: `true` when woken by a request, `false` after the timeout.
    /// - Throws: `CancellationError` when the calling task is cancelled.
    @discardableResult
    public func wait(upTo timeout: Duration) async throws -> Bool {
        if takePending() { return true }
        let requested = await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.waitForRequest() }
            group.addTask {
                try? await DispatchSleep.sleep(for: timeout)  // cancelled when a request comes: see DispatchSleep
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        try Task.checkCancellation()
        return requested
    }

    /// Returns when ``request()`` is called (or was called since the last wait); no timer runs meanwhile.
    /// - Throws: `CancellationError` when the calling task is cancelled.
    public func wait() async throws {
        if takePending() { return }
        _ = await waitForRequest()
        try Task.checkCancellation()
    }

    private func takePending() -> Bool {
        state.withLock { state in
            defer { state.pending = false }
            return state.pending
        }
    }

    /// `true` when a request came, `false` when the task was cancelled.
    private func waitForRequest() async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = self.state.withLock { state -> Bool in
                    if state.pending || Task.isCancelled {
                        state.pending = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
            return !Task.isCancelled
        } onCancel: {
            let waiter = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }
}
