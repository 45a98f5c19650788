import CLinuxShims
import Glibc

/// A failed system call on a scanner device: which call, on what, and `errno`.
public struct SystemCallError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The call, e.g. `"ioctl(EVIOCGRAB)"` or `"open(/dev/input/event3)"`.
    public let call: String
    public let errno: CInt

    public init(call: String, errno: CInt) {
        self.call = call
        self.errno = errno
    }

    /// The device is gone (unplugged): `ENODEV`, `EIO`, `ENXIO` or `ENOENT`.
    public var isDeviceGone: Bool { [ENODEV, EIO, ENXIO, ENOENT].contains(errno) }

    public var description: String { "\(call) failed: \(String(cString: strerror(errno))) (errno \(errno))" }
}

/// The one place the Barcode module calls into libc for its descriptors: retries `EINTR`, throws
/// ``SystemCallError``, traps on `EBADF` (every descriptor passed here is one we own, so that is a bug).
enum Syscall {
    @discardableResult
    private static func retrying(_ call: @autoclosure () -> String, _ body: () -> CInt) throws(SystemCallError) -> CInt
    {
        while true {
            let result = body()
            if result >= 0 { return result }
            let error = Glibc.errno
            if error == EINTR { continue }
            precondition(error != EBADF, "\(call()): EBADF on a descriptor the scanner source owns")
            throw SystemCallError(call: call(), errno: error)
        }
    }

    static func open(_ path: String, _ flags: CInt) throws(SystemCallError) -> CInt {
        try retrying("open(\(path))") { Glibc.open(path, flags | O_CLOEXEC) }
    }

    static func close(_ fd: CInt) {
        _ = Glibc.close(fd)  // never retried: the descriptor is released even on EINTR (Linux)
    }

    /// Bytes read; 0 at end of file; `nil` for `EAGAIN` on a non-blocking descriptor.
    static func read(_ fd: CInt, into buffer: UnsafeMutableRawBufferPointer, what: String) throws(SystemCallError)
        -> Int?
    {
        do {
            return Int(try retrying("read(\(what))") { CInt(Glibc.read(fd, buffer.baseAddress, buffer.count)) })
        } catch let error where error.errno == EAGAIN || error.errno == EWOULDBLOCK {
            return nil
        }
    }

    static func write(_ fd: CInt, _ bytes: [UInt8], what: String) throws(SystemCallError) {
        var offset = 0
        while offset < bytes.count {
            let n = try retrying("write(\(what))") {
                bytes.withUnsafeBytes { raw in CInt(Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)) }
            }
            offset += Int(n)
        }
    }

    /// An ioctl that fills `buffer` (`EVIOCGNAME`, `EVIOCGLED`, `EVIOCGKEY`).
    @discardableResult
    static func ioctl(_ fd: CInt, _ request: UInt, buffer: inout [UInt8], name: String) throws(SystemCallError) -> CInt
    {
        try retrying("ioctl(\(name))") {
            buffer.withUnsafeMutableBytes { raw in CLinuxShims_ioctl_ptr(fd, request, raw.baseAddress) }
        }
    }

    static func ioctl(
        _ fd: CInt, _ request: UInt, _ arg: UnsafeMutableRawPointer?, name: String
    ) throws(SystemCallError) -> CInt {
        try retrying("ioctl(\(name))") { CLinuxShims_ioctl_ptr(fd, request, arg) }
    }

    static func ioctl(_ fd: CInt, _ request: UInt, int arg: CInt, name: String) throws(SystemCallError) -> CInt {
        try retrying("ioctl(\(name))") { CLinuxShims_ioctl_int(fd, request, arg) }
    }

    /// Polls; returns the descriptors' `revents` in order, all zero on timeout. `timeout` in ms, -1 forever.
    static func poll(_ fds: [CInt], timeoutMilliseconds timeout: CInt) throws(SystemCallError) -> [Int16] {
        var pollfds = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        try retrying("poll") { Glibc.poll(&pollfds, nfds_t(pollfds.count), timeout) }
        return pollfds.map(\.revents)
    }

    /// A close-on-exec, non-blocking pipe: (read end, write end).
    static func pipe() throws(SystemCallError) -> (CInt, CInt) {
        var fds: [CInt] = [-1, -1]
        try retrying("pipe") { Glibc.pipe(&fds) }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        return (fds[0], fds[1])
    }
}
