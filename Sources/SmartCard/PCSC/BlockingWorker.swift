import Dispatch
import Foundation
import Synchronization

/// A dedicated thread that runs blocking pcsc-lite calls one at a time, in submission order.
///
/// pcsc-lite calls (`SCardConnect`, `SCardTransmit`, `SCardGetStatusChange`) block their thread on a socket read from
/// pcscd. Running them on Swift's cooperative pool would starve it (it has one thread per core, two here), so each
/// PC/SC context that does blocking work owns one of these threads. The thread lives until ``close()`` (or deinit),
/// after finishing the jobs already queued.
final class BlockingWorker: Sendable {
    private final class Storage: Sendable {
        struct Queue {
            var jobs: [@Sendable () -> Void] = []
            var closed = false
        }
        let queue = Mutex(Queue())
        let wakeUp = DispatchSemaphore(value: 0)

        func next() -> (@Sendable () -> Void)? {
            while true {
                wakeUp.wait()
                let (job, closed) = queue.withLock { q -> ((@Sendable () -> Void)?, Bool) in
                    q.jobs.isEmpty ? (nil, q.closed) : (q.jobs.removeFirst(), false)
                }
                if let job { return job }
                if closed { return nil }
            }
        }
    }

    private let storage = Storage()
    let name: String

    init(name: String) {
        self.name = name
        let storage = self.storage
        let thread = Thread {
            Thread.current.name = String(decoding: name.utf8.prefix(15), as: UTF8.self)  // the OS thread's name
            while let job = storage.next() { job() }
        }
        thread.start()
    }

    deinit { close() }

    /// Queues `job`; returns `false` (and drops it) when the worker is closed.
    @discardableResult
    func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        let accepted = storage.queue.withLock { q -> Bool in
            guard !q.closed else { return false }
            q.jobs.append(job)
            return true
        }
        if accepted { storage.wakeUp.signal() }
        return accepted
    }

    /// Runs `body` on the worker thread and returns its result to the awaiting task.
    /// - Throws: what `body` throws; `SCARD_E_INVALID_HANDLE` when the worker is already closed.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws(PCSCError) -> T) async throws(PCSCError) -> T {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, PCSCError>, Never>) in
            let accepted = submit {
                continuation.resume(returning: Result { () throws(PCSCError) -> T in try body() })
            }
            if !accepted {
                continuation.resume(returning: .failure(PCSCError(code: PCSCError.SCARD_E_INVALID_HANDLE.code,
                                                                  function: "\(name) (closed)")))
            }
        }
        return try result.get()
    }

    /// Lets the thread exit once the queued jobs are done. Later ``submit(_:)`` calls are refused.
    func close() {
        let wasOpen = storage.queue.withLock { q -> Bool in
            defer { q.closed = true }
            return !q.closed
        }
        if wasOpen { storage.wakeUp.signal() }
    }
}
