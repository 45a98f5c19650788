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
/// terminal's size as it was (another terminal of the process was resized) draws nothing.
public final class ResizingTerminal: Sendable {
    public let writer: TerminalWriter
    private struct State {
        var screen: Screen?
        var size: (columns: Int, rows: Int)?
        var listening = false
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
        }
    }

    /// Redraws the last screen if the size changed. Called on `SIGWINCH`; public for callers with their own
    /// signal handling.
    public func resized() {
        state.withLock { state in
            guard let screen = state.screen else { return }
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
        signal(SIGWINCH) { _ in
            var byte: UInt8 = 1
            _ = write(windowSizePipe, &byte, 1)
        }
        let readEnd = fds[0]
        Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 64)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR { continue }
                if n <= 0 { return }
                for listener in self.listeners.withLock({ Array($0.values) }) { listener() }
            }
        }.start()
    }

    func add(_ id: ObjectIdentifier, _ listener: @escaping @Sendable () -> Void) {
        listeners.withLock { $0[id] = listener }
    }

    func remove(_ id: ObjectIdentifier) {
        listeners.withLock { $0[id] = nil }
    }
}
