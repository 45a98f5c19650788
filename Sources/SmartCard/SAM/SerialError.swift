#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failure of the serial line under a SAM ID-card reader (or any tty this module opens).
///
/// Shaped like NIO's `FileSystemError`: a ``code`` to match on, a ``message`` saying what went wrong and what to do,
/// the failing system ``call``, the device ``path``, the `errno` and the source location. Equality and hashing use
/// the code only, so a test writes `#expect(error == .notFound)` and a caller
/// `catch let error as SerialError where error.code == .deviceGone`.
public struct SerialError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure: an enum-like struct, so codes can be added without breaking a `switch`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case notFound, permissionDenied, busy, notATerminal, unsupportedSpeed, deviceGone, cancelled, closed, io
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The device node does not exist (not plugged in, wrong path): `ENOENT`, `ENODEV`, `ENXIO`.
        public static let notFound = Code(.notFound)
        /// `EACCES`/`EPERM`: the daemon's user is not in the device's group (usually `dialout`), or a udev rule is
        /// missing.
        public static let permissionDenied = Code(.permissionDenied)
        /// Another process holds the port exclusively (`EBUSY`, `TIOCEXCL`).
        public static let busy = Code(.busy)
        /// The path is not a terminal device (`ENOTTY`), so it cannot be a serial reader.
        public static let notATerminal = Code(.notATerminal)
        /// The requested baud rate has no termios constant.
        public static let unsupportedSpeed = Code(.unsupportedSpeed)
        /// The device went away while open: `EIO`, hang-up, end of file (USB adapter unplugged, pty closed).
        public static let deviceGone = Code(.deviceGone)
        /// The port's cancellation fired (the reader is stopping); not a device fault.
        public static let cancelled = Code(.cancelled)
        /// The port was already closed (`EBADF`, or a call after ``SerialPort/close()``).
        public static let closed = Code(.closed)
        /// Any other I/O failure.
        public static let io = Code(.io)

        public var description: String { base.rawValue }
    }

    public let code: Code
    /// What went wrong and how it may be remedied, naming the call and the path.
    public let message: String
    /// The failing system call (`"open"`, `"tcsetattr"`, `"read"`), when there was one.
    public let call: String?
    /// The device path, when known.
    public let path: String?
    /// The `errno` the call left, when there was one.
    public let errno: Int32?
    /// Where the error was made (`#fileID:#line`).
    public let location: String

    public init(
        code: Code, message: String, call: String? = nil, path: String? = nil, errno: Int32? = nil,
        fileID: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.call = call
        self.path = path
        self.errno = errno
        self.location = "\(fileID):\(line)"
    }

    /// The error for a failed system call: maps `errno` to a ``Code`` and writes a message naming the call, the path
    /// and the C error text.
    public static func systemCall(
        _ call: String, path: String, errno: Int32, fileID: String = #fileID, line: Int = #line
    ) -> SerialError {
        let code: Code
        let hint: String
        switch errno {
        case ENOENT, ENODEV, ENXIO:
            code = .notFound
            hint = "the device is not present; check the cable and the configured path"
        case EACCES, EPERM:
            code = .permissionDenied
            hint = "add the daemon's user to the device's group (dialout) or install the udev rule"
        case EBUSY:
            code = .busy
            hint = "another process holds the port"
        case ENOTTY:
            code = .notATerminal
            hint = "the path is not a serial device"
        case EIO:
            code = .deviceGone
            hint = "the device went away (unplugged or hung up)"
        case EBADF:
            code = .closed
            hint = "the port is closed"
        default:
            code = .io
            hint = "I/O error"
        }
        let text = String(cString: strerror(errno))
        return SerialError(
            code: code, message: "\(call)(\(path)) failed: \(text) (errno \(errno)); \(hint)", call: call, path: path,
            errno: errno, fileID: fileID, line: line)
    }

    public static func == (lhs: SerialError, rhs: SerialError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    public var description: String { "SerialError.\(code): \(message)" }
}

extension SerialError {
    /// Matches on the code alone, for `catch SerialError.notFound`-style patterns and `#expect(error == .notFound)`.
    public static let notFound = SerialError(code: .notFound, message: "device not found")
    public static let permissionDenied = SerialError(code: .permissionDenied, message: "permission denied")
    public static let busy = SerialError(code: .busy, message: "device busy")
    public static let notATerminal = SerialError(code: .notATerminal, message: "not a terminal")
    public static let unsupportedSpeed = SerialError(code: .unsupportedSpeed, message: "unsupported speed")
    public static let deviceGone = SerialError(code: .deviceGone, message: "device gone")
    public static let cancelled = SerialError(code: .cancelled, message: "cancelled")
    public static let closed = SerialError(code: .closed, message: "closed")
    public static let io = SerialError(code: .io, message: "I/O error")

    /// Whether the device itself is missing or went away (reopen later) rather than misconfigured.
    public var isDeviceAbsent: Bool { code == .notFound || code == .deviceGone }
}

/// The one wrapper every serial system call goes through (the `syscall(blocking:where:_:)` shape of NIO's
/// `System.swift`): retries `EINTR`, traps on `EFAULT` (only a bug can cause it), and throws a ``SerialError`` naming
/// the call and the path for anything else. Returns the call's non-negative result.
@discardableResult
func serialSystemCall<T: FixedWidthInteger & SignedInteger>(
    _ call: @autoclosure () -> String, path: String, fileID: String = #fileID, line: Int = #line,
    _ body: () -> T
) throws(SerialError) -> T {
    while true {
        let result = body()
        if result >= 0 { return result }
        let err = errno
        if err == EINTR { continue }
        precondition(err != EFAULT, "\(call()) on \(path) got EFAULT: a bad buffer pointer is a bug")
        throw SerialError.systemCall(call(), path: path, errno: err, fileID: fileID, line: line)
    }
}

/// `close(2)` under a name that methods called `close()` do not shadow. `EINTR` is not retried: on Linux the
/// descriptor is released even then.
func systemClose(_ fd: Int32) {
    _ = close(fd)
}
