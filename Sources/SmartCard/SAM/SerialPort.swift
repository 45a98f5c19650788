internal import CLinuxShims

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A serial line opened raw: 8 data bits, no parity, 1 stop bit, no flow control, at a chosen ``SerialSpeed``.
///
/// Works on a real adapter (`/dev/ttyUSB0`, `/dev/ttyACM0`, a udev symlink) and on the replica side of a
/// pseudo-terminal (``PseudoTerminal``), which tests use to play the device.
///
/// Opening: `open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)` (no controlling terminal, no wait for carrier),
/// `TIOCEXCL` (best effort, so a second daemon gets `EBUSY`), then `tcgetattr`, `cfmakeraw`, `CLOCAL | CREAD | CS8`,
/// no `CSTOPB`/`PARENB`/`CRTSCTS`, `VMIN = 0`, `VTIME = 0`, the speed on both directions, `tcsetattr(TCSANOW)` and a
/// flush of both queues.
///
/// Reads and writes block the calling thread in `poll(2)` on the descriptor **and** the port's
/// ``SerialCancellation``; cancelling makes a blocked call throw ``SerialError/cancelled`` at once. Use a port from
/// one thread only (it is not `Sendable`); only the cancellation crosses threads.
public final class SerialPort {
    public let path: String
    public let speed: SerialSpeed
    private var fd: Int32
    private let cancellation: SerialCancellation
    private let closesDescriptor: Bool

    /// Opens and configures `path`.
    /// - Throws: ``SerialError`` naming the failing call: `.notFound` (no such device), `.permissionDenied`,
    ///   `.busy` (held exclusively), `.notATerminal` (`tcgetattr` on a non-tty), `.deviceGone`, `.io`.
    public init(path: String, speed: SerialSpeed = .b115200, cancellation: SerialCancellation = SerialCancellation())
        throws(SerialError)
    {
        self.path = path
        self.speed = speed
        self.cancellation = cancellation
        closesDescriptor = true
        fd = try serialSystemCall("open", path: path) { open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC) }
        do {
            try configure()
        } catch {
            systemClose(fd)
            fd = -1
            throw error
        }
    }

    /// Uses a descriptor opened elsewhere as is (no termios changes): the primary side of a ``PseudoTerminal``, a
    /// pipe or a socket. `name` stands for the path in errors. With `closesDescriptor` false, ``close()`` only
    /// forgets it.
    public init(
        adopting descriptor: Int32, name: String, speed: SerialSpeed = .b115200,
        cancellation: SerialCancellation = SerialCancellation(), closesDescriptor: Bool = false
    ) {
        self.path = name
        self.speed = speed
        self.cancellation = cancellation
        self.closesDescriptor = closesDescriptor
        fd = descriptor
    }

    deinit { close() }

    private func configure() throws(SerialError) {
        let fd = self.fd
        // Exclusive use; a pty replica accepts it too. Not fatal where unsupported.
        _ = CLinuxShims_ioctl_ptr(fd, UInt(TIOCEXCL), nil)
        var attributes = termios()
        try serialSystemCall("tcgetattr", path: path) { tcgetattr(fd, &attributes) }
        cfmakeraw(&attributes)
        attributes.c_cflag |= tcflag_t(CLOCAL) | tcflag_t(CREAD)
        attributes.c_cflag &= ~(tcflag_t(CSIZE) | tcflag_t(CSTOPB) | tcflag_t(PARENB) | tcflag_t(CRTSCTS))
        attributes.c_cflag |= tcflag_t(CS8)
        attributes.c_iflag &= ~(tcflag_t(IXON) | tcflag_t(IXOFF) | tcflag_t(IXANY))
        withUnsafeMutableBytes(of: &attributes.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        try serialSystemCall("cfsetispeed", path: path) { cfsetispeed(&attributes, speed.termiosConstant) }
        try serialSystemCall("cfsetospeed", path: path) { cfsetospeed(&attributes, speed.termiosConstant) }
        try serialSystemCall("tcsetattr", path: path) { tcsetattr(fd, TCSANOW, &attributes) }
        try serialSystemCall("tcflush", path: path) { tcflush(fd, TCIOFLUSH) }
    }

    /// Whether ``close()`` has run.
    public var isClosed: Bool { fd < 0 }

    /// Closes the descriptor. Idempotent. Call it on the thread that uses the port (to stop a thread blocked in a
    /// read, cancel the ``SerialCancellation`` instead; the thread then closes).
    public func close() {
        guard fd >= 0 else { return }
        if closesDescriptor {
            // Exclusivity stays on the tty after our close while another descriptor holds it open (a pty pair):
            // drop it, or our own reopen would get EBUSY.
            _ = CLinuxShims_ioctl_ptr(fd, UInt(TIOCNXCL), nil)
            systemClose(fd)
        }
        fd = -1
    }

    /// Reads what is available, waiting up to `timeout` for the first byte.
    /// - Returns: up to `maximumCount` bytes; empty when `timeout` passed with nothing to read.
    /// - Throws: `.cancelled` when the cancellation fired; `.deviceGone` on hang-up, end of file or `EIO` (adapter
    ///   unplugged, pty primary closed); `.closed` after ``close()``; `.io` otherwise.
    public func read(maximumCount: Int = 4096, timeout: Duration) throws(SerialError) -> [UInt8] {
        guard try waitUntilReady(events: Int16(POLLIN), timeout: timeout, call: "poll(read)") else { return [] }
        var buffer = [UInt8](repeating: 0, count: maximumCount)
        let fd = self.fd
        let count: Int
        do {
            count = try serialSystemCall("read", path: path) {
                buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, maximumCount) }
            }
        } catch where error.errno == EAGAIN || error.errno == EWOULDBLOCK {
            return []
        }
        guard count > 0 else {
            throw SerialError(
                code: .deviceGone, message: "read(\(path)): end of file; the device hung up", call: "read", path: path)
        }
        return Array(buffer[0..<count])
    }

    /// Writes all of `bytes`, waiting for the output queue to drain where it is full, for at most `timeout` overall.
    /// - Throws: as ``read(maximumCount:timeout:)``; `.io` when the line would not take the bytes within `timeout`.
    public func write(_ bytes: [UInt8], timeout: Duration = .seconds(1)) throws(SerialError) {
        let deadline = ContinuousClock.now + timeout
        var offset = 0
        let fd = self.fd
        while offset < bytes.count {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard try waitUntilReady(events: Int16(POLLOUT), timeout: max(remaining, .zero), call: "poll(write)") else {
                throw SerialError(code: .io, message: "write(\(path)): output not drained within \(timeout)",
                                  call: "write", path: path)
            }
            do {
                offset += try serialSystemCall("write", path: path) {
                    bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
                }
            } catch where error.errno == EAGAIN || error.errno == EWOULDBLOCK {
                continue
            }
        }
    }

    /// Discards bytes received but not yet read (`tcflush(TCIFLUSH)`): stale replies from before a command.
    public func discardInput() throws(SerialError) {
        let fd = self.fd
        guard fd >= 0 else { throw SerialError(code: .closed, message: "\(path) is closed", path: path) }
        try serialSystemCall("tcflush", path: path) { tcflush(fd, TCIFLUSH) }
    }

    /// Polls the descriptor and the cancellation. `true` when the descriptor is ready, `false` on timeout.
    private func waitUntilReady(events: Int16, timeout: Duration, call: String) throws(SerialError) -> Bool {
        guard fd >= 0 else { throw SerialError(code: .closed, message: "\(path) is closed", path: path) }
        let deadline = ContinuousClock.now + timeout
        while true {
            if cancellation.isCancelled {
                throw SerialError(code: .cancelled, message: "\(path): stopped", path: path)
            }
            var fds = [
                pollfd(fd: fd, events: events, revents: 0),
                pollfd(fd: cancellation.readEnd, events: Int16(POLLIN), revents: 0),
            ]
            var ms = ContinuousClock.now.duration(to: deadline).roundedUpMilliseconds
            if cancellation.readEnd < 0 { ms = min(ms, SerialCancellation.fallbackSlice) }
            let ready = try serialSystemCall(call, path: path) {
                poll(&fds, nfds_t(cancellation.readEnd >= 0 ? 2 : 1), Int32(clamping: ms))
            }
            if fds[1].revents != 0 || cancellation.isCancelled {
                throw SerialError(code: .cancelled, message: "\(path): stopped", path: path)
            }
            let revents = fds[0].revents
            if revents & Int16(POLLNVAL) != 0 {
                throw SerialError(
                    code: .closed, message: "\(call)(\(path)): descriptor not open", call: call, path: path)
            }
            if revents & events != 0 { return true }
            if revents & Int16(POLLHUP | POLLERR) != 0 {
                throw SerialError(code: .deviceGone, message: "\(call)(\(path)): the device hung up", call: call,
                                  path: path)
            }
            if ready == 0, ContinuousClock.now >= deadline { return false }
        }
    }
}

@available(*, unavailable, message: "use a SerialPort from one thread; cancel it with its SerialCancellation")
extension SerialPort: Sendable {}
