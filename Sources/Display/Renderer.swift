/// Something that draws a ``Screen``: the terminal, the framebuffer, a PNG file.
///
/// `draw` returns once the frame is written (for the terminal: the bytes are handed to the kernel), which is the
/// instant tap-to-frame latency is measured to.
public protocol Renderer: Sendable {
    /// Draws a whole screen.
    /// - Throws: the renderer's I/O error; the caller keeps serving and logs it.
    func draw(_ screen: Screen) async throws
}
