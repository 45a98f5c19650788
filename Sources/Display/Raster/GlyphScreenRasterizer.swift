import Synchronization

/// The ``ScreenRasterizer`` kioskd's framebuffer renderer draws with: ``FrameRasterizer`` (layout, FreeType glyphs,
/// icon shapes) behind a lock, since its font faces and glyph cache are not safe to share between threads. Frames
/// are drawn one at a time anyway (the renderer is an actor).
public final class GlyphScreenRasterizer: ScreenRasterizer {
    private let frames: Mutex<FrameRasterizer>

    /// - Throws: ``FontError`` when no font of the list can be opened.
    public init(fonts: FontConfiguration = .debian) throws {
        frames = Mutex(try FrameRasterizer(fonts: fonts))
    }

    public func rasterize(_ screen: Screen, width: Int, height: Int) throws -> RasterImage {
        frames.withLock { $0.render(screen, width: width, height: height) }
    }
}
