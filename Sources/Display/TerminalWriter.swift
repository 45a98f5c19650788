import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes screens to a terminal file descriptor with ``TerminalRenderer``, sized to the terminal.
///
/// Blocking: `draw` returns when the bytes are written. The daemon calls it from its display task.
public struct TerminalWriter: Sendable {
    /// A failed `write(2)`.
    public struct WriteError: Error, Sendable, Hashable, CustomStringConvertible {
        public var errno: Int32
        public var description: String { "write(2) to the terminal failed: errno \(errno)" }
    }

    public let fileDescriptor: Int32
    public var renderer: TerminalRenderer
    /// Size used when the descriptor is not a terminal or reports 0 × 0.
    public var fallbackSize: (columns: Int, rows: Int)

    /// - Parameters:
    ///   - fileDescriptor: an open descriptor the caller owns (default: standard output); not closed here.
    ///   - renderer: the renderer; by default one whose script suits the terminal (``script(for:environment:)``).
    public init(fileDescriptor: Int32 = 1, renderer: TerminalRenderer? = nil) {
        self.fileDescriptor = fileDescriptor
        self.renderer = renderer ?? TerminalRenderer(script: Self.script(for: fileDescriptor))
        self.fallbackSize = (80, 24)
    }

    /// English only on a Linux virtual console, bilingual elsewhere: the console's fonts have no Chinese.
    ///
    /// The descriptor decides when it is a terminal: `/dev/ttyN` (N a number; also `/dev/vc/N`) is a virtual
    /// console, `/dev/pts/N` a terminal emulator whatever `TERM` says. For anything else (not a terminal,
    /// `/dev/console`), `TERM=linux` in `environment` (default: the process's) means the virtual console.
    public static func script(
        for fileDescriptor: Int32, environment: [String: String]? = nil
    ) -> TerminalRenderer.Script {
        let environment = environment ?? ProcessInfo.processInfo.environment
        var buffer = [CChar](repeating: 0, count: 256)
        if ttyname_r(fileDescriptor, &buffer, buffer.count) == 0 {
            let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if isVirtualConsole(path: name) { return .englishOnly }
            if name.hasPrefix("/dev/pts/") { return .bilingual }
        }
        return environment["TERM"] == "linux" ? .englishOnly : .bilingual
    }

    /// Whether `path` names a Linux virtual console: `/dev/tty0`…`/dev/tty63` or `/dev/vc/N` (not `/dev/ttyS0`,
    /// `/dev/ttyUSB0`, `/dev/ttyACM0`, `/dev/pts/3`).
    public static func isVirtualConsole(path: String) -> Bool {
        for prefix in ["/dev/tty", "/dev/vc/"] where path.hasPrefix(prefix) {
            let number = path.dropFirst(prefix.count)
            return !number.isEmpty && number.count <= 2 && number.allSatisfy(\.isASCII) && number.allSatisfy(\.isNumber)
        }
        return false
    }

    /// The terminal's size from `ioctl(TIOCGWINSZ)`, or ``fallbackSize``.
    public func size() -> (columns: Int, rows: Int) {
        var size = winsize()
        guard ioctl(fileDescriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0 else {
            return fallbackSize
        }
        return (Int(size.ws_col), Int(size.ws_row))
    }

    /// Draws `screen` over the whole terminal.
    /// - Throws: ``WriteError`` if the descriptor cannot be written.
    public func draw(_ screen: Screen) throws {
        let (columns, rows) = size()
        try write(renderer.render(screen, columns: columns, rows: rows))
    }

    /// Shows the cursor again and clears the screen (call on exit).
    public func restore() throws {
        try write(TerminalRenderer.restoreSequence)
    }

    /// Writes all of `text`, retrying after `EINTR` and partial writes.
    public func write(_ text: String) throws {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                systemWrite(fileDescriptor, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written < 0 {
                let code = errno
                if code == EINTR || code == EAGAIN { continue }
                throw WriteError(errno: code)
            }
            offset += written
        }
    }
}

#if canImport(Glibc)
    private let systemWrite = Glibc.write
#elseif canImport(Musl)
    private let systemWrite = Musl.write
#elseif canImport(Darwin)
    private let systemWrite = Darwin.write
#endif
