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
    /// Whether ``fillShape(in:_:lipschitz:distance:)`` decides whole blocks from one sample; tests turn it off to
    /// compare with every pixel computed.
    var skipsShapeBlocks = true

    init(width: Int, height: Int, background: UInt32) {
        image = RasterImage(width: width, height: height, fill: background)
    }

    /// Fills `rect` (clipped) with `color`: one bulk store per row (one for the whole span when the rectangle
    /// covers full rows).
    mutating func fill(_ rect: PixelRect, _ color: UInt32) {
        let x0 = max(0, rect.x)
        let x1 = min(image.width, rect.maxX)
        let y0 = max(0, rect.y)
        let y1 = min(image.height, rect.maxY)
        guard x0 < x1, y0 < y1 else { return }
        let width = image.width
        image.pixels.withUnsafeMutableBufferPointer { pixels in
            let base = pixels.baseAddress!
            if x0 == 0, x1 == width {
                (base + y0 * width).update(repeating: color, count: (y1 - y0) * width)
                return
            }
            for y in y0..<y1 { (base + y * width + x0).update(repeating: color, count: x1 - x0) }
        }
    }

    /// `color` mixed over `under` with `alpha` (0–255): per channel (c·alpha + u·(255 − alpha) + 127) / 255.
    ///
    /// Red and blue are computed side by side in two 16-bit lanes and green alone; a lane's sum is at most 65,152,
    /// and (x + 1 + (x >> 8)) >> 8 equals x / 255 for every x below 65,535, so the result is exactly the
    /// per-channel division.
    @inline(__always)
    static func blend(_ under: UInt32, _ color: UInt32, _ alpha: UInt32) -> UInt32 {
        if alpha >= 255 { return color }
        let inv = 255 - alpha
        let rb = (color & 0x00FF_00FF) &* alpha &+ (under & 0x00FF_00FF) &* inv &+ 0x007F_007F
        let g = ((color >> 8) & 0xFF) &* alpha &+ ((under >> 8) & 0xFF) &* inv &+ 127
        let rbDivided = ((rb &+ 0x0001_0001 &+ ((rb >> 8) & 0x00FF_00FF)) >> 8) & 0x00FF_00FF
        let gDivided = (g &+ 1 &+ (g >> 8)) >> 8
        return rbDivided | (gDivided << 8)
    }

    /// Side of the square blocks ``fillShape(in:_:lipschitz:distance:)`` decides from one sample when it can.
    static let shapeBlock = 8

    /// Fills the shape whose signed distance (pixels, negative inside) at a pixel centre `distance` gives, inside
    /// `bounds`, with one-pixel anti-aliased edges: coverage `0.5 - distance` clamped to 0…1, alpha
    /// `UInt32(coverage × 255)`, blended over the pixel.
    ///
    /// With `lipschitz` (the default) `distance` must change by no more than the distance between the two points
    /// it is asked at, as a true signed distance does and as minima and maxima of such functions do. Then a
    /// ``shapeBlock`` × ``shapeBlock`` block of pixels whose centre lies farther than the block's half-diagonal
    /// (+ ½ pixel) outside the shape is skipped, and one as far inside is filled solid, from that one sample;
    /// every other block is computed pixel by pixel. Both give exactly the pixels the per-pixel rule gives. Pass
    /// `false` for a shape whose distance jumps (a cut-off ring).
    mutating func fillShape(
        in bounds: PixelRect, _ color: UInt32, lipschitz: Bool = true, distance: (Double, Double) -> Double
    ) {
        let x0 = max(0, bounds.x)
        let x1 = min(image.width, bounds.maxX)
        let y0 = max(0, bounds.y)
        let y1 = min(image.height, bounds.maxY)
        guard x0 < x1, y0 < y1 else { return }
        let width = image.width
        image.pixels.withUnsafeMutableBufferPointer { pixels in
            let base = pixels.baseAddress!
            /// The per-pixel rule over the pixels [bx0, bx1) × [by0, by1).
            func exact(_ bx0: Int, _ bx1: Int, _ by0: Int, _ by1: Int) {
                for y in by0..<by1 {
                    let py = Double(y) + 0.5
                    let row = base + y * width
                    for x in bx0..<bx1 {
                        let d = distance(Double(x) + 0.5, py)
                        let coverage = 0.5 - d
                        guard coverage > 0 else { continue }
                        let alpha = coverage >= 1 ? 255 : UInt32(coverage * 255)
                        row[x] = Self.blend(row[x], color, alpha)
                    }
                }
            }
            guard lipschitz, skipsShapeBlocks else {
                exact(x0, x1, y0, y1)
                return
            }
            let block = Self.shapeBlock
            var by0 = y0
            while by0 < y1 {
                let by1 = min(by0 + block, y1)
                var bx0 = x0
                while bx0 < x1 {
                    let bx1 = min(bx0 + block, x1)
                    // The centre of the block's pixel centres, and the farthest pixel centre from it.
                    let halfX = Double(bx1 - bx0 - 1) / 2
                    let halfY = Double(by1 - by0 - 1) / 2
                    let reach = (halfX * halfX + halfY * halfY).squareRoot() + 0.5 + 1e-3
                    let d = distance(Double(bx0) + 0.5 + halfX, Double(by0) + 0.5 + halfY)
                    if d >= reach {
                        // Every pixel's distance is at least ½: no coverage.
                    } else if d <= -reach {
                        // Every pixel's distance is at most -½: full coverage, the blend gives `color`.
                        for y in by0..<by1 { (base + y * width + bx0).update(repeating: color, count: bx1 - bx0) }
                    } else {
                        exact(bx0, bx1, by0, by1)
                    }
                    bx0 = bx1
                }
                by0 = by1
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
            // The bitmap's rows and columns inside the clip.
            let firstRow = max(0, cy0 - top)
            let endRow = min(bitmap.rows, cy1 - top)
            let firstColumn = max(0, cx0 - left)
            let endColumn = min(bitmap.width, cx1 - left)
            guard firstRow < endRow, firstColumn < endColumn else { return }
            let width = image.width
            let pitch = bitmap.width
            image.pixels.withUnsafeMutableBufferPointer { pixels in
                bitmap.coverage.withUnsafeBufferPointer { coverage in
                    for row in firstRow..<endRow {
                        let source = coverage.baseAddress! + row * pitch
                        let target = pixels.baseAddress! + (top + row) * width + left
                        @inline(__always) func blendOne(_ column: Int) {
                            let alpha = UInt32(source[column])
                            if alpha == 0 { return }
                            target[column] = alpha == 255 ? color : Self.blend(target[column], color, alpha)
                        }
                        // Eight coverage bytes at a time: most of a glyph's box is empty or solid.
                        var column = firstColumn
                        while column + 8 <= endColumn {
                            let chunk = UnsafeRawPointer(source + column).loadUnaligned(as: UInt64.self)
                            if chunk == UInt64.max {
                                (target + column).update(repeating: color, count: 8)
                            } else if chunk != 0 {
                                for c in column..<(column + 8) { blendOne(c) }
                            }
                            column += 8
                        }
                        while column < endColumn {
                            blendOne(column)
                            column += 1
                        }
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
