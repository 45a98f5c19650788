public import Display

/// The terminal renderer as a ``Renderer``: full-screen ANSI on a descriptor (standard output by default),
/// redrawn at the new size when the terminal is resized (`SIGWINCH`), English-only on a Linux virtual console.
public struct TerminalDisplay: Renderer {
    public let writer: TerminalWriter
    private let terminal: ResizingTerminal

    public init(writer: TerminalWriter = TerminalWriter()) {
        self.writer = writer
        terminal = ResizingTerminal(writer: writer)
        terminal.start()
    }

    public func draw(_ screen: Screen) async throws { try terminal.draw(screen) }

    /// Stops following resizes, clears the screen and shows the cursor again.
    public func restore() {
        terminal.stop()
        try? writer.restore()
    }
}

/// Draws nothing: for headless runs where frames are only observed (tests, benchmarks).
public struct NullDisplay: Renderer {
    public init() {}
    public func draw(_ screen: Screen) async throws {}
}
