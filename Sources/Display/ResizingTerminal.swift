import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A terminal that follows resizes: it remembers the last screen drawn and, when the process gets `SIGWINCH`,
/// reads the size again (`TIOCGWINSZ`) and redraws that screen at the new size. A `SIGWINCH` that leaves this
/// terminal's size as it was (another terminal of the process was resized) draws nothing, and so does one after
/// the descriptor was closed (its number may belong to another file by then).
public final class ResizingTerminal: Sendable {
    public let writer: TerminalWriter
    private struct State {
        var screen: Screen?
        var size: (columns: Int, rows: Int)?
        /// The terminal the descriptor was when last drawn (device and inode), so a redraw never goes to another
        /// file that reused the descriptor's number after the terminal was closed.
        var identity: FileIdentity?
        var listening = false
    }

    private struct FileIdentity: Equatable {
        var device: UInt64
        var inode: UInt64
        var rdev: UInt64

        init?(descriptor: Int32) {
            var info = stat()
            guard fstat(descriptor, &info) == 0 else { return nil }
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
            rdev = UInt64(info.st_rdev)
        }
    }
    private let state = Mutex(State())

    public init(writer: TerminalWriter = TerminalWriter()) {
        self.writer = writer
    }

    /// Starts following `SIGWINCH` (idempotent).
    public func start() {
        let start = state.withLock { state in
            defer { state.listening = true }
            return !state.listening
        }
        guard start else { return }
        WindowSizeSignal.shared.add(ObjectIdentifier(self)) { [weak self] in self?.resized() }
    }

    /// Stops following resizes.
    public func stop() {
        state.withLock { $0.listening = false }
        WindowSizeSignal.shared.remove(ObjectIdentifier(self))
    }

    deinit {
        WindowSizeSignal.shared.remove(ObjectIdentifier(self))
    }

    /// Draws `screen` at the terminal's current size and remembers both.
    /// - Throws: ``TerminalWriter/WriteError``.
    public func draw(_ screen: Screen) throws {
        try state.withLock { state in
            let size = writer.size()
            try writer.write(writer.renderer.render(screen, columns: size.columns, rows: size.rows))
            state.screen = screen
            state.size = size
            state.identity = FileIdentity(descriptor: writer.fileDescriptor)
        }
    }

    /// Redraws the last screen if the size changed. Called on `SIGWINCH`; public for callers with their own
    /// signal handling.
    public func resized() {
        state.withLock { state in
            guard let screen = state.screen, let identity = state.identity,
                FileIdentity(descriptor: writer.fileDescriptor) == identity
            else { return }
            let size = writer.size()
            if let old = state.size, old == size { return }
            try? writer.write(writer.renderer.render(screen, columns: size.columns, rows: size.rows))
            state.size = size
        }
    }
}

/// The write end of the self-pipe the `SIGWINCH` handler writes a byte to (async-signal-safe).
nonisolated(unsafe) private var windowSizePipe: Int32 = -1

/// One process-wide `SIGWINCH` handler (installed on first use) that wakes a thread through a pipe; the thread
/// calls every registered listener. Works whichever thread the kernel delivers the signal to.
final class WindowSizeSignal: Sendable {
    static let shared = WindowSizeSignal()
    private let listeners = Mutex<[ObjectIdentifier: @Sendable () -> Void]>([:])

    private init() {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)
        windowSizePipe = fds[1]
        signal(SIGWINCH) { _ in WindowSizeSignal.wake() }
        let readEnd = fds[0]
        Thread { [self] in
            Thread.current.name = "sigwinch"  // from inside: names the OS thread
            var buffer = [UInt8](repeating: 0, count: 64)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR { continue }
                if n <= 0 { return }
                for listener in self.listeners.withLock({ Array($0.values) }) { listener() }
            }
        }.start()
    }

    /// What the `SIGWINCH` handler does (async-signal-safe: one `write(2)`); tests call it to stand in for the
    /// signal, which they must not send to a process whose other suites run in parallel.
    static func wake() {
        var byte: UInt8 = 1
        _ = write(windowSizePipe, &byte, 1)
    }

    func add(_ id: ObjectIdentifier, _ listener: @escaping @Sendable () -> Void) {
        listeners.withLock { $0[id] = listener }
    }

    func remove(_ id: ObjectIdentifier) {
        listeners.withLock { $0[id] = nil }
    }
}
