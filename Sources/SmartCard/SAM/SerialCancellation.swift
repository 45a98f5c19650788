import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A one-shot, thread-safe stop signal that wakes a thread blocked in ``SerialPort`` reads or in ``sleep(for:)``.
///
/// A self-pipe: ``cancel()`` writes one byte that is never drained, so the read end stays readable and every later
/// `poll` returns at once; cancelling is final. The port's descriptor is closed by its own thread afterwards, never
/// under a blocked call on another thread (closing an fd another thread polls is a descriptor-reuse race).
///
/// Should the pipe be unavailable (descriptor table full) the signal still works: waits are sliced into 50 ms polls
/// that check a flag.
public final class SerialCancellation: Sendable {
    private let flag = Atomic<Bool>(false)
    /// Read end, write end; -1 when `pipe` failed.
    let readEnd: Int32
    private let writeEnd: Int32

    public init() {
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            for fd in fds {
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            }
            readEnd = fds[0]
            writeEnd = fds[1]
        } else {
            readEnd = -1
            writeEnd = -1
        }
    }

    deinit {
        if readEnd >= 0 { systemClose(readEnd) }
        if writeEnd >= 0 { systemClose(writeEnd) }
    }

    /// Fires the signal. Idempotent; safe from any thread.
    public func cancel() {
        guard !flag.exchange(true, ordering: .acquiringAndReleasing), writeEnd >= 0 else { return }
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    public var isCancelled: Bool { flag.load(ordering: .acquiring) }

    /// Longest single poll when there is no pipe to wake us.
    static let fallbackSlice = 50

    /// Sleeps `duration` unless cancelled first. Returns `true` when cancelled.
    @discardableResult
    public func sleep(for duration: Duration) -> Bool {
        let deadline = ContinuousClock.now + duration
        while !isCancelled {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else { return false }
            var timeout = remaining.roundedUpMilliseconds
            if readEnd < 0 { timeout = min(timeout, Self.fallbackSlice) }
            var pfd = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
            _ = poll(&pfd, 1, Int32(clamping: timeout))
        }
        return true
    }
}

extension Duration {
    /// Whole milliseconds, rounded up (so a poll never wakes just before its deadline and spins), at least 0.
    var roundedUpMilliseconds: Int {
        let (seconds, attoseconds) = components
        guard seconds >= 0, self > .zero else { return 0 }
        let ms = Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
        return attoseconds % 1_000_000_000_000_000 == 0 ? ms : ms + 1
    }
}
