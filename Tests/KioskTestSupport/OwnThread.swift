import Foundation

/// Runs a blocking call (a `read(2)` that waits, `waitpid`, `Process.waitUntilExit`, opening a FIFO, a `recv` with
/// a timeout, a polling loop with `usleep`) on a thread of its own and returns its result to the awaiting task.
///
/// Tests must never block a thread of Swift's cooperative pool: on the 2-core CI machine the pool has two threads,
/// and two blocked tests stall every other test in the process (a CI run saw every test wait 30 s behind one
/// blocked `read` and fail on 20 s event deadlines). The thread ends when `body` returns.
public func onOwnThread<T: Sendable>(
    _ name: String = "test-blocking-call", _ body: @escaping @Sendable () throws -> T
) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let thread = Thread {
            do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
        }
        thread.name = name
        thread.start()
    }
}

/// ``onOwnThread(_:_:)`` for a body that cannot throw.
public func onOwnThread<T: Sendable>(_ name: String = "test-blocking-call", _ body: @escaping @Sendable () -> T) async
    -> T
{
    await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
        let thread = Thread { continuation.resume(returning: body()) }
        thread.name = name
        thread.start()
    }
}
