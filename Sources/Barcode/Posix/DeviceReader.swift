import Foundation
import Glibc
import Logging
import Synchronization

/// Turns bytes from one device into scan events, on the reader thread. A value moved onto that thread.
protocol DeviceStreamHandler: Sendable {
    /// Bytes read at `now`.
    mutating func consume(_ bytes: UnsafeRawBufferPointer, at now: ContinuousClock.Instant) -> [ScanEvent]
    /// When ``deadlinePassed(at:)`` is due (a gap timer, a split report), if anything is pending.
    var deadline: ContinuousClock.Instant? { get }
    mutating func deadlinePassed(at now: ContinuousClock.Instant) -> [ScanEvent]
    /// Called on every wake-up with the device descriptor (evdev grabs here); returns how soon to be called again,
    /// or `nil` when nothing is pending.
    mutating func maintain(fd: CInt) -> Duration?
}

extension DeviceStreamHandler {
    mutating func maintain(fd: CInt) -> Duration? { nil }
}

/// Why a device's read loop ended.
enum DeviceEnd: Sendable {
    /// ``DeviceReader/stop()`` was called.
    case stopped
    /// End of file (a pipe's writer closed; a removed device).
    case endOfFile
    /// `ENODEV`/`EIO`: unplugged.
    case gone(SystemCallError)
    /// Any other error.
    case failed(SystemCallError)
}

/// A dedicated thread reading one device descriptor: `poll` on the device and a self-pipe, `read`, hand the bytes
/// to the handler, publish its events. ``stop()`` writes to the self-pipe; the thread then closes the device itself,
/// so no descriptor is closed under a blocked call (close-to-cancel without the reuse race).
final class DeviceReader: Sendable {
    private struct State {
        var finished = false
        var stopRequested = false
    }

    private let state = Mutex(State())
    private let wakeRead: CInt
    private let wakeWrite: CInt

    /// Starts the thread. Takes ownership of `fd` (closed when the loop ends).
    init<H: DeviceStreamHandler>(
        fd: CInt, name: String, handler: H, readSize: Int, logger: Logger,
        emit: @escaping @Sendable (ScanEvent) -> Void, ended: @escaping @Sendable (DeviceEnd) -> Void
    ) throws(SystemCallError) {
        let (wakeRead, wakeWrite) = try Syscall.pipe()
        self.wakeRead = wakeRead
        self.wakeWrite = wakeWrite
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        let thread = Thread { [self] in
            // From inside: names the OS thread, at most 15 bytes (`scan ttyUSB0`, `scan event3`, `scan pts/4`).
            let parts = name.split(separator: "/")
            let numbered = parts.count > 1 && parts.last!.allSatisfy(\.isNumber)
            let device = parts.suffix(numbered ? 2 : 1).joined(separator: "/")
            Thread.current.name = String(decoding: "scan \(device)".utf8.prefix(15), as: UTF8.self)
            let end = Self.loop(
                fd: fd, wake: wakeRead, name: name, handler: handler, readSize: readSize,
                logger: logger, emit: emit)
            Syscall.close(fd)
            state.withLock { s in
                s.finished = true
                Syscall.close(wakeRead)
                Syscall.close(wakeWrite)
            }
            ended(end)
        }
        thread.start()
    }

    /// Asks the thread to stop; it closes the device and calls `ended(.stopped)`. Safe to call more than once.
    func stop() {
        state.withLock { s in
            guard !s.finished, !s.stopRequested else { return }
            s.stopRequested = true
            try? Syscall.write(wakeWrite, [1], what: "scanner wake pipe")
        }
    }

    static func milliseconds(roundingUp d: Duration) -> CInt {
        let (seconds, attoseconds) = d.components
        let ms = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return CInt(clamping: max(0, ms))
    }

    private static func loop<H: DeviceStreamHandler>(
        fd: CInt, wake: CInt, name: String, handler: H, readSize: Int, logger: Logger,
        emit: @Sendable (ScanEvent) -> Void
    ) -> DeviceEnd {
        var handler = handler
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: readSize, alignment: 8)
        defer { buffer.deallocate() }
        do throws(SystemCallError) {
            while true {
                let now = ContinuousClock.now
                var wait: Duration? = handler.deadline.map { max(.zero, $0 - now) }
                if let again = handler.maintain(fd: fd) { wait = min(wait ?? again, again) }
                let timeout = wait.map(Self.milliseconds(roundingUp:)) ?? -1
                let revents = try Syscall.poll([fd, wake], timeoutMilliseconds: timeout)
                if revents[1] != 0 { return .stopped }
                var events: [ScanEvent]
                if revents[0] != 0 {
                    guard let n = try Syscall.read(fd, into: buffer, what: name) else { continue }
                    if n == 0 { return .endOfFile }
                    events = handler.consume(UnsafeRawBufferPointer(rebasing: buffer[0..<n]), at: .now)
                } else {
                    events = []
                }
                if let deadline = handler.deadline, ContinuousClock.now >= deadline {
                    events += handler.deadlinePassed(at: .now)
                }
                for event in events { emit(event) }
            }
        } catch {
            logger.debug("scanner read loop ended", metadata: ["kiosk.scanner": "\(name)", "error": "\(error)"])
            return error.isDeviceGone ? .gone(error) : .failed(error)
        }
    }
}
