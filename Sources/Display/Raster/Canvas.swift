/// A rectangle in pixels: `x`, `y` from the top left, `width` × `height`.
public struct PixelRect: Sendable, Hashable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public var maxX: Int { x + width }
    public var maxY: Int { y + height }

    /// Whether `other` lies wholly inside this rectangle.
    public func contains(_ other: PixelRect) -> Bool {
        other.x >= x && other.y >= y && other.maxX <= maxX && other.maxY <= maxY
    }

    /// This rectangle shrunk by `dx` on the left and right and `dy` at the top and bottom.
    public func insetBy(dx: Int, dy: Int) -> PixelRect {
        PixelRect(x: x + dx, y: y + dy, width: max(0, width - 2 * dx), height: max(0, height - 2 * dy))
    }

    public var description: String { "(\(x),\(y) \(width)×\(height))" }
}

/// Drawing on a ``RasterImage``: filled rectangles, anti-aliased shapes given by a signed distance, and text with
/// alpha-blended glyph coverage. Everything is clipped to the image.
struct Canvas {
    var image: RasterImage

    init(width: Int, height: Int, background: UInt32) {
        image = RasterImage(width: width, height: height, fill: background)
    }

    /// Fills `rect` (clipped) with `color`.
    mutating func fill(_ rect: PixelRect, _ color: UInt32) {
        let x0 = max(0, rect.x)
        let x1 = min(image.width, rect.maxX)
        let y0 = max(0, rect.y)
        let y1 = min(image.height, rect.maxY)
        guard x0 < x1, y0 < y1 else { return }
        let width = image.width
        image.pixels.withUnsafeMutableBufferPointer { pixels in
            for y in y0..<y1 {
                let row = y * width
                for x in x0..<x1 { pixels[row + x] = color }
            }
        }
    }

    /// Mixes `color` into the pixel at (`x`, `y`) with `alpha` (0–255).
    @inline(__always)
    static func blend(_ under: UInt32, _ color: UInt32, _ alpha: UInt32) -> UInt32 {
        if alpha >= 255 { return color }
        let inv = 255 - alpha
        let r = (((color >> 16) & 0xFF) * alpha + ((under >> 16) & 0xFF) * inv + 127) / 255
        let g = (((color >> 8) & 0xFF) * alpha + ((under >> 8) & 0xFF) * inv + 127) / 255
        let b = ((color & 0xFF) * alpha + (under & 0xFF) * inv + 127) / 255
        return (r << 16) | (g << 8) | b
    }

    /// Fills the shape whose signed distance (pixels, negative inside) at a pixel centre `distance` gives, inside
    /// `bounds`, with one-pixel anti-aliased edges.
    mutating func fillShape(in bounds: PixelRect, _ color: UInt32, distance: (Double, Double) -> Double) {
        let x0 = max(0, bounds.x)
        let x1 = min(image.width, bounds.maxX)
        let y0 = max(0, bounds.y)
        let y1 = min(image.height, bounds.maxY)
        guard x0 < x1, y0 < y1 else { return }
        let width = image.width
        image.pixels.withUnsafeMutableBufferPointer { pixels in
            for y in y0..<y1 {
                let py = Double(y) + 0.5
                for x in x0..<x1 {
                    let d = distance(Double(x) + 0.5, py)
                    let coverage = 0.5 - d
                    guard coverage > 0 else { continue }
                    let alpha = coverage >= 1 ? 255 : UInt32(coverage * 255)
                    pixels[y * width + x] = Self.blend(pixels[y * width + x], color, alpha)
                }
            }
        }
    }

    /// Draws `text` with its pen starting at `x` on the baseline `baseline`, clipped to `clip`.
    mutating func drawText(
        _ text: String, x: Double, baseline: Int, size: Int, bold: Bool, color: UInt32, glyphs: GlyphSource,
        clip: PixelRect? = nil
    ) {
        let clip = clip ?? PixelRect(x: 0, y: 0, width: image.width, height: image.height)
        let cx0 = max(0, clip.x)
        let cx1 = min(image.width, clip.maxX)
        let cy0 = max(0, clip.y)
        let cy1 = min(image.height, clip.maxY)
        guard cx0 < cx1, cy0 < cy1 else { return }
        glyphs.forEachGlyph(in: text, size: size, bold: bold) { bitmap, pen in
            let penX = Int((x + pen).rounded())
            guard let bitmap else {
                drawTofu(penX: penX, baseline: baseline, size: size, color: color, clip: clip)
                return
            }
            let left = penX + bitmap.left
            let top = baseline - bitmap.top
            let width = image.width
            image.pixels.withUnsafeMutableBufferPointer { pixels in
                for row in 0..<bitmap.rows {
                    let y = top + row
                    guard y >= cy0, y < cy1 else { continue }
                    for column in 0..<bitmap.width {
                        let x = left + column
                        guard x >= cx0, x < cx1 else { continue }
                        let alpha = UInt32(bitmap.coverage[row * bitmap.width + column])
                        guard alpha > 0 else { continue }
                        pixels[y * width + x] = Self.blend(pixels[y * width + x], color, alpha)
                    }
                }
            }
        }
    }

    /// The hollow box for a missing character (see ``Tofu``).
    mutating func drawTofu(penX: Int, baseline: Int, size: Int, color: UInt32, clip: PixelRect) {
        let s = Double(size)
        let box = PixelRect(
            x: penX + Int((Tofu.left * s).rounded()), y: baseline - Int((Tofu.top * s).rounded()),
            width: Int((Tofu.width * s).rounded()), height: Int(((Tofu.top + Tofu.bottom) * s).rounded()))
        let t = Tofu.stroke(size: size)
        for edge in [
            PixelRect(x: box.x, y: box.y, width: box.width, height: t),
            PixelRect(x: box.x, y: box.maxY - t, width: box.width, height: t),
            PixelRect(x: box.x, y: box.y, width: t, height: box.height),
            PixelRect(x: box.maxX - t, y: box.y, width: t, height: box.height),
        ] {
            fill(edge.clipped(to: clip), color)
        }
    }
}

extension PixelRect {
    /// The part of this rectangle inside `other` (zero-sized when they do not meet).
    func clipped(to other: PixelRect) -> PixelRect {
        let x0 = max(x, other.x)
        let y0 = max(y, other.y)
        let x1 = min(maxX, other.maxX)
        let y1 = min(maxY, other.maxY)
        return PixelRect(x: x0, y: y0, width: max(0, x1 - x0), height: max(0, y1 - y0))
    }
}
