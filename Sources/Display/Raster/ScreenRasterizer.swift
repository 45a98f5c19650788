/// Draws a ``Screen`` into a ``RasterImage`` of a given size: the step between the layout and every pixel output
/// (framebuffer, PNG). The glyph rasteriser (FreeType) implements it; ``ToneRasterizer`` is the stand-in that fills
/// the screen with its tone's colour.
public protocol ScreenRasterizer: Sendable {
    /// - Parameters:
    ///   - width: image width in pixels (the panel's, or its height when the panel is rotated 90°/270°).
    ///   - height: image height in pixels.
    /// - Returns: an image of exactly `width` × `height` pixels.
    /// - Throws: the rasteriser's error (no font, …); the renderer passes it on and draws nothing.
    func rasterize(_ screen: Screen, width: Int, height: Int) throws -> RasterImage
}

/// Fills the whole image with the screen's tone colour: no text. A stand-in until the glyph rasteriser is wired,
/// and a rasteriser whose every pixel a test can predict.
public struct ToneRasterizer: ScreenRasterizer {
    public init() {}

    /// `0x00RRGGBB` for each tone.
    public static func colour(_ tone: Screen.Tone) -> UInt32 {
        switch tone {
        case .green: 0x00_1B_7F_3B
        case .yellow: 0x00_F2_C1_00
        case .red: 0x00_C6_28_28
        case .neutral: 0x00_30_30_30
        case .blue: 0x00_15_65_C0
        }
    }

    public func rasterize(_ screen: Screen, width: Int, height: Int) throws -> RasterImage {
        RasterImage(width: width, height: height, fill: Self.colour(screen.tone))
    }
}
