public import Foundation

/// A ``Renderer`` that writes every frame to one PNG file (replaced atomically), for previews and tests: what a
/// framebuffer of `width` × `height` would show.
public actor PNGRenderer: Renderer {
    public nonisolated let url: URL
    public nonisolated let width: Int
    public nonisolated let height: Int
    private let rasterizer: FrameRasterizer

    /// - Parameters:
    ///   - url: the file each frame is written to.
    ///   - width: panel width in pixels (positive).
    ///   - height: panel height in pixels (positive).
    ///   - fonts: the font list.
    /// - Throws: ``FontError`` when no font can be opened.
    public init(url: URL, width: Int, height: Int, fonts: FontConfiguration = .debian) throws {
        precondition(width > 0 && height > 0, "panel size must be positive")
        self.url = url
        self.width = width
        self.height = height
        rasterizer = try FrameRasterizer(fonts: fonts)
    }

    /// Draws `screen` and writes the PNG.
    /// - Throws: ``PNGError`` or the file system's error.
    public func draw(_ screen: Screen) async throws {
        try PNGFile.write(rasterizer.render(screen, width: width, height: height), to: url)
    }
}
