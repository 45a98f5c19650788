/// A frame drawn in memory, before it reaches a device or a file: `width` × `height` pixels, row-major from the top
/// left, each pixel `0x00RRGGBB` (8 bits per channel, the top byte unused). The rasteriser draws into it; the PNG
/// writer and the framebuffer renderer convert it to their own pixel formats (RGB565, BGR888, XRGB8888, …) and
/// orientations, so every output path shows the same pixels.
public struct RasterImage: Sendable, Hashable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// `width * height` pixels, `0x00RRGGBB`, row `y` at `y * width`.
    public var pixels: [UInt32]

    /// An image filled with one colour.
    /// - Precondition: `width` and `height` are positive.
    public init(width: Int, height: Int, fill: UInt32 = 0) {
        precondition(width > 0 && height > 0, "image size must be positive")
        self.width = width
        self.height = height
        pixels = [UInt32](repeating: fill & 0x00FF_FFFF, count: width * height)
    }

    /// The pixel at column `x`, row `y` (both from 0).
    public subscript(x: Int, y: Int) -> UInt32 {
        get { pixels[y * width + x] }
        set { pixels[y * width + x] = newValue & 0x00FF_FFFF }
    }
}
