public import Display

/// The terminal renderer as a ``Renderer``: full-screen ANSI on a descriptor (standard output by default).
public struct TerminalDisplay: Renderer {
    public let writer: TerminalWriter

    public init(writer: TerminalWriter = TerminalWriter()) { self.writer = writer }

    public func draw(_ screen: Screen) async throws { try writer.draw(screen) }

    /// Clears the screen and shows the cursor again.
    public func restore() { try? writer.restore() }
}

/// Draws nothing: for headless runs where frames are only observed (tests, benchmarks).
public struct NullDisplay: Renderer {
    public init() {}
    public func draw(_ screen: Screen) async throws {}
}
