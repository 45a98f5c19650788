import KioskCore
import Testing

/// ``DispatchSleep``: it sleeps at least as long as asked, and a cancelled sleep ends at once with
/// `CancellationError` (that its timer then leaves libdispatch's heap is seen with strace, not here).
struct DispatchSleepTests {
    @Test func sleepsAtLeastTheDuration() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        try await DispatchSleep.sleep(for: .milliseconds(200))
        #expect(clock.now - start >= .milliseconds(200))
        try await DispatchSleep.sleep(for: .zero)
        try await DispatchSleep.sleep(for: .milliseconds(-5))
        try await DispatchSleep.sleep(until: clock.now - .seconds(1))
    }

    @Test(.timeLimit(.minutes(1))) func cancellingEndsAnHourLongSleepWithCancellationError() async throws {
        let started = AsyncStream<Void>.makeStream()
        let sleeper = Task {
            started.continuation.yield()
            try await DispatchSleep.sleep(for: .seconds(3600))
        }
        for await _ in started.stream { break }
        try await Task.sleep(for: .milliseconds(50))  // most likely asleep by now; if not, the check at entry answers
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
    }

    @Test func anAlreadyCancelledTaskDoesNotSleep() async throws {
        let sleeper = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await DispatchSleep.sleep(for: .seconds(3600))
        }
        await #expect(throws: CancellationError.self) { try await sleeper.value }
    }
}
