import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The service manager's notification socket: `sd_notify(3)` without libsystemd.
///
/// systemd passes an `AF_UNIX` `SOCK_DGRAM` socket path in `$NOTIFY_SOCKET` to a `Type=notify` service; each datagram
/// is newline-separated `VARIABLE=value` assignments (`READY=1`, `STATUS=…`, `WATCHDOG=1`, `STOPPING=1`). A path
/// starting with `@` is in the abstract namespace (the `@` stands for a leading NUL byte). systemd attributes a
/// datagram to a unit by the sender's PID (`NotifyAccess=main` by default), so `kioskd` sends from its own process.
public final class SystemdNotifySocket: Sendable {
    /// The socket path as given in `$NOTIFY_SOCKET`.
    public let path: String
    private let descriptor: Int32

    /// Opens a datagram socket for `$NOTIFY_SOCKET`; `nil` when the variable is unset or empty (not under systemd,
    /// or a service type that does not listen).
    /// - Throws: ``SystemdNotifyError`` when the path is not usable (relative, too long) or `socket(2)` fails.
    public convenience init?(environment: [String: String]) throws(SystemdNotifyError) {
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty else { return nil }
        try self.init(path: path)
    }

    /// - Parameter path: an absolute path, or `@name` for the abstract namespace.
    /// - Throws: ``SystemdNotifyError`` when the path is not usable or `socket(2)` fails.
    public init(path: String) throws(SystemdNotifyError) {
        guard path.hasPrefix("/") || path.hasPrefix("@") else {
            throw SystemdNotifyError("NOTIFY_SOCKET must be an absolute path or start with @, got \(path)")
        }
        guard path.utf8.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path) else {
            throw SystemdNotifyError("NOTIFY_SOCKET path is too long for AF_UNIX: \(path)")
        }
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw SystemdNotifyError("socket(AF_UNIX, SOCK_DGRAM): errno \(errno)") }
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Sends one datagram of `VARIABLE=value` lines.
    /// - Parameter state: e.g. `"READY=1\nSTATUS=serving"`; a value must not contain a newline.
    /// - Throws: ``SystemdNotifyError`` with `errno` when `sendto(2)` fails (no listener, `ECONNREFUSED`).
    public func send(_ state: String) throws(SystemdNotifyError) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var name = Array(path.utf8)
        if name.first == UInt8(ascii: "@") { name[0] = 0 }  // abstract namespace: leading NUL, no terminator
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: name)
        }
        let length = socklen_t(pathOffset + name.count + (name.first == 0 ? 0 : 1))
        let bytes = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bytes.withUnsafeBytes { sendto(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), socketAddress, length) }
            }
        }
        guard sent == bytes.count else {
            throw SystemdNotifyError("sendto(\(path)): errno \(errno) (\(String(cString: strerror(errno))))")
        }
    }
}

/// `$NOTIFY_SOCKET` cannot be used, or a notification could not be sent.
public struct SystemdNotifyError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// The watchdog systemd asks for (`WatchdogSec=` in the unit; sd_watchdog_enabled(3)).
public struct SystemdWatchdog: Sendable, Hashable {
    /// `$WATCHDOG_USEC`: systemd restarts the service when no `WATCHDOG=1` arrives for this long.
    public var timeout: Duration
    /// How often to send `WATCHDOG=1`: half of ``timeout``, as sd_watchdog_enabled(3) recommends.
    public var pingInterval: Duration { timeout / 2 }

    public init(timeout: Duration) { self.timeout = timeout }

    /// The watchdog from `$WATCHDOG_USEC` (microseconds), or `nil` when it is unset, not a positive number, or
    /// `$WATCHDOG_PID` names another process than `pid` (default: this one) (the variables were inherited, not meant for us).
    public init?(environment: [String: String], pid: Int32? = nil) {
        guard let text = environment["WATCHDOG_USEC"], let usec = UInt64(text), usec > 0 else { return nil }
        if let owner = environment["WATCHDOG_PID"], Int32(owner) != (pid ?? getpid()) { return nil }
        timeout = .microseconds(Int64(min(usec, UInt64(Int64.max))))
    }
}
