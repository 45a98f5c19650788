import Foundation

/// Draws ``Screen``s into ``RasterImage``s: the layout of ``FrameLayout`` with FreeType text (anti-aliased,
/// alpha-blended) and the icon shapes filled with anti-aliased edges.
///
/// Besides the glyph cache it keeps the icons it drew (``IconCache``, at most 4 MiB of pixels), so a frame showing
/// an icon already drawn at that place copies it.
///
/// Not `Sendable` (it owns a ``GlyphSource``); keep one per actor or thread.
public final class FrameRasterizer {
    /// The fonts and the glyph cache.
    public let glyphs: GlyphSource
    /// Icons drawn before: the same shapes in the same place every frame of a kind.
    private(set) var icons = IconCache(budgetBytes: IconCache.defaultBudget)

    /// - Throws: ``FontError`` when no regular font of `fonts` can be opened.
    public init(fonts: FontConfiguration = .debian) throws {
        glyphs = try GlyphSource(configuration: fonts)
    }

    /// The layout of `screen` on a `width` × `height` panel.
    /// - Precondition: `width` and `height` are positive.
    public func plan(_ screen: Screen, width: Int, height: Int) -> FramePlan {
        FrameLayout(glyphs: glyphs, width: width, height: height).plan(screen)
    }

    /// `screen` drawn on a `width` × `height` panel.
    /// - Precondition: `width` and `height` are positive.
    public func render(_ screen: Screen, width: Int, height: Int) -> RasterImage {
        draw(plan(screen, width: width, height: height))
    }

    /// Draws a plan.
    public func draw(_ plan: FramePlan) -> RasterImage {
        var canvas = Canvas(width: plan.width, height: plan.height, background: plan.background)
        for fill in plan.fills {
            if fill.radius > 0 {
                canvas.fillRoundedRect(fill.rect, radius: Double(fill.radius), fill.color)
            } else {
                canvas.fill(fill.rect, fill.color)
            }
        }
        for icon in plan.icons {
            icons.draw(icon, on: &canvas) { canvas in
                IconPainter.draw(
                    icon.icon, in: icon.rect, ink: icon.foreground, paper: icon.background, on: &canvas, glyphs: glyphs)
            }
        }
        for line in plan.lines {
            for run in line.runs {
                canvas.drawText(
                    run.text, x: run.x, baseline: line.baseline, size: line.size, bold: run.bold, color: run.color,
                    glyphs: glyphs,
                    clip: line.area.insetBy(dx: -line.size / 4, dy: -line.size / 4).clipped(
                        to: PixelRect(x: 0, y: 0, width: plan.width, height: plan.height)))
            }
        }
        return canvas.image
    }
}

/// Icons as drawn, keyed by icon, rectangle, colours and the one colour under them, so the next frame with the same
/// icon copies its pixels instead of evaluating the shapes again (~0.3 MB for a 1080p status icon). An icon is
/// cached only when its rectangle lies inside the image on a single colour, so a copy gives exactly the pixels
/// drawing would. Least recently used entries go when the total passes the budget.
struct IconCache {
    /// Bytes of pixels kept: a dozen 1080p status icons.
    static let defaultBudget = 4 << 20

    struct Key: Hashable {
        var icon: Screen.Icon
        var rect: PixelRect
        var ink: UInt32
        var paper: UInt32
        var under: UInt32
    }

    let budgetBytes: Int
    private var pixels: [Key: [UInt32]] = [:]
    /// Keys from least to most recently used.
    private var order: [Key] = []
    private var bytes = 0
    /// Icons copied from the cache and icons drawn, since creation; for tests and benchmarks.
    private(set) var hits = 0
    private(set) var misses = 0

    init(budgetBytes: Int) {
        self.budgetBytes = budgetBytes
    }

    /// Draws `icon` on `canvas`: a copy of the pixels cached for it, or `paint` (then cached when it can be).
    mutating func draw(_ icon: FramePlan.IconPlacement, on canvas: inout Canvas, paint: (inout Canvas) -> Void) {
        let rect = icon.rect
        let image = PixelRect(x: 0, y: 0, width: canvas.image.width, height: canvas.image.height)
        guard rect.width > 0, rect.height > 0, image.contains(rect), let under = canvas.uniformColor(in: rect) else {
            misses += 1
            paint(&canvas)
            return
        }
        let key = Key(icon: icon.icon, rect: rect, ink: icon.foreground, paper: icon.background, under: under)
        if let cached = pixels[key] {
            hits += 1
            canvas.copy(cached, into: rect)
            if let index = order.firstIndex(of: key) { order.append(order.remove(at: index)) }
            return
        }
        misses += 1
        paint(&canvas)
        let drawn = canvas.pixels(in: rect)
        let size = drawn.count * MemoryLayout<UInt32>.stride
        guard size <= budgetBytes else { return }
        while bytes + size > budgetBytes, !order.isEmpty {
            let oldest = order.removeFirst()
            bytes -= (pixels.removeValue(forKey: oldest)?.count ?? 0) * MemoryLayout<UInt32>.stride
        }
        pixels[key] = drawn
        order.append(key)
        bytes += size
    }

    /// Number of icons cached.
    var count: Int { pixels.count }
}

extension Canvas {
    /// The colour of every pixel of `rect` (inside the image), or `nil` when they differ.
    func uniformColor(in rect: PixelRect) -> UInt32? {
        let width = image.width
        return image.pixels.withUnsafeBufferPointer { pixels -> UInt32? in
            let first = pixels[rect.y * width + rect.x]
            for y in rect.y..<rect.maxY {
                let row = pixels.baseAddress! + y * width
                for x in rect.x..<rect.maxX where row[x] != first { return nil }
            }
            return first
        }
    }

    /// The pixels of `rect` (inside the image), row by row.
    func pixels(in rect: PixelRect) -> [UInt32] {
        let width = image.width
        return [UInt32](unsafeUninitializedCapacity: rect.width * rect.height) { out, count in
            image.pixels.withUnsafeBufferPointer { pixels in
                for row in 0..<rect.height {
                    (out.baseAddress! + row * rect.width).initialize(
                        from: pixels.baseAddress! + (rect.y + row) * width + rect.x, count: rect.width)
                }
            }
            count = rect.width * rect.height
        }
    }

    /// Writes `block` (`rect.width` × `rect.height`, row by row) into `rect` (inside the image).
    mutating func copy(_ block: [UInt32], into rect: PixelRect) {
        let width = image.width
        image.pixels.withUnsafeMutableBufferPointer { pixels in
            block.withUnsafeBufferPointer { block in
                for row in 0..<rect.height {
                    (pixels.baseAddress! + (rect.y + row) * width + rect.x).update(
                        from: block.baseAddress! + row * rect.width, count: rect.width)
                }
            }
        }
    }

    /// A rectangle with corners rounded to `radius` pixels, anti-aliased.
    mutating func fillRoundedRect(_ rect: PixelRect, radius: Double, _ color: UInt32) {
        let r = min(radius, Double(min(rect.width, rect.height)) / 2)
        let inner = rect.insetBy(dx: Int(r.rounded(.up)), dy: 0)
        fill(inner, color)
        let cx = Double(rect.x) + Double(rect.width) / 2
        let cy = Double(rect.y) + Double(rect.height) / 2
        let hx = Double(rect.width) / 2 - r
        let hy = Double(rect.height) / 2 - r
        for side in [
            PixelRect(x: rect.x, y: rect.y, width: inner.x - rect.x, height: rect.height),
            PixelRect(x: inner.maxX, y: rect.y, width: rect.maxX - inner.maxX, height: rect.height),
        ] {
            fillShape(in: side, color) { x, y in
                let qx = max(abs(x - cx) - hx, 0)
                let qy = max(abs(y - cy) - hy, 0)
                return (qx * qx + qy * qy).squareRoot() - r
            }
        }
    }
}

/// Signed-distance helpers for icon shapes (pixels; negative inside).
enum Shape {
    static func circle(_ x: Double, _ y: Double, cx: Double, cy: Double, r: Double) -> Double {
        ((x - cx) * (x - cx) + (y - cy) * (y - cy)).squareRoot() - r
    }

    /// A stroke from (ax, ay) to (bx, by) with round ends, `w` wide.
    static func segment(
        _ x: Double, _ y: Double, _ ax: Double, _ ay: Double, _ bx: Double, _ by: Double, w: Double
    ) -> Double {
        let px = x - ax
        let py = y - ay
        let dx = bx - ax
        let dy = by - ay
        let t = max(0, min(1, (px * dx + py * dy) / max(1e-9, dx * dx + dy * dy)))
        let ex = px - dx * t
        let ey = py - dy * t
        return (ex * ex + ey * ey).squareRoot() - w / 2
    }

    /// A convex polygon given clockwise (in screen coordinates) by its corners.
    static func polygon(_ x: Double, _ y: Double, _ points: [(Double, Double)]) -> Double {
        var d = -Double.infinity
        for i in points.indices {
            let (ax, ay) = points[i]
            let (bx, by) = points[(i + 1) % points.count]
            let ex = bx - ax
            let ey = by - ay
            let length = max(1e-9, (ex * ex + ey * ey).squareRoot())
            // Outward normal of a clockwise edge in y-down coordinates.
            let distance = ((x - ax) * ey - (y - ay) * ex) / length
            d = max(d, distance)
        }
        return d
    }

    static func box(_ x: Double, _ y: Double, cx: Double, cy: Double, hw: Double, hh: Double, r: Double) -> Double {
        let qx = abs(x - cx) - hw + r
        let qy = abs(y - cy) - hh + r
        let outside = (max(qx, 0) * max(qx, 0) + max(qy, 0) * max(qy, 0)).squareRoot()
        return outside + min(max(qx, qy), 0) - r
    }
}

/// The icon shapes: a solid shape in the ink colour with the sign cut out in the paper colour, so the shape reads
/// without colour (✓ circle, ! triangle, ✕ square, ? circle, a card, an hourglass, i circle).
enum IconPainter {
    static func draw(
        _ icon: Screen.Icon, in rect: PixelRect, ink: UInt32, paper: UInt32, on canvas: inout Canvas,
        glyphs: GlyphSource
    ) {
        let s = Double(rect.width)
        let ox = Double(rect.x)
        let oy = Double(rect.y)
        let cx = ox + s / 2
        let cy = oy + s / 2
        let stroke = s * 0.11
        func p(_ fx: Double, _ fy: Double) -> (Double, Double) { (ox + fx * s, oy + fy * s) }
        switch icon {
        case .checkInCircle:
            canvas.fillShape(in: rect, ink) { Shape.circle($0, $1, cx: cx, cy: cy, r: s * 0.48) }
            let a = p(0.27, 0.52)
            let b = p(0.43, 0.68)
            let c = p(0.73, 0.34)
            canvas.fillShape(in: rect, paper) {
                min(
                    Shape.segment($0, $1, a.0, a.1, b.0, b.1, w: stroke),
                    Shape.segment($0, $1, b.0, b.1, c.0, c.1, w: stroke))
            }
        case .exclamationInTriangle:
            let top = p(0.5, 0.05)
            let right = p(0.98, 0.92)
            let left = p(0.02, 0.92)
            let triangle = [top, right, left]
            canvas.fillShape(in: rect, ink) { Shape.polygon($0, $1, triangle) }
            let a = p(0.5, 0.34)
            let b = p(0.5, 0.62)
            let dot = p(0.5, 0.76)
            canvas.fillShape(in: rect, paper) {
                min(
                    Shape.segment($0, $1, a.0, a.1, b.0, b.1, w: stroke),
                    Shape.circle($0, $1, cx: dot.0, cy: dot.1, r: stroke * 0.62))
            }
        case .crossInSquare:
            canvas.fillShape(in: rect, ink) {
                Shape.box($0, $1, cx: cx, cy: cy, hw: s * 0.46, hh: s * 0.46, r: s * 0.08)
            }
            let a = p(0.28, 0.28)
            let b = p(0.72, 0.72)
            let c = p(0.72, 0.28)
            let d = p(0.28, 0.72)
            canvas.fillShape(in: rect, paper) {
                min(
                    Shape.segment($0, $1, a.0, a.1, b.0, b.1, w: stroke),
                    Shape.segment($0, $1, c.0, c.1, d.0, d.1, w: stroke))
            }
        case .questionInCircle, .info:
            canvas.fillShape(in: rect, ink) { Shape.circle($0, $1, cx: cx, cy: cy, r: s * 0.48) }
            if icon == .info {
                let a = p(0.5, 0.44)
                let b = p(0.5, 0.74)
                let dot = p(0.5, 0.27)
                canvas.fillShape(in: rect, paper) {
                    min(
                        Shape.segment($0, $1, a.0, a.1, b.0, b.1, w: stroke),
                        Shape.circle($0, $1, cx: dot.0, cy: dot.1, r: stroke * 0.62))
                }
            } else {
                // The hook of "?" as an arc of strokes, then the stem and the dot.
                var points: [(Double, Double)] = []
                for step in 0...10 {
                    let angle = Double.pi * (1.0 + 1.25 * Double(step) / 10)
                    points.append((cx + cos(angle) * s * 0.17, oy + s * 0.36 + sin(angle) * s * 0.15))
                }
                let stemTop = points[points.count - 1]
                let stemBottom = p(0.5, 0.6)
                let dot = p(0.5, 0.76)
                canvas.fillShape(in: rect, paper) { x, y in
                    var d = Shape.segment(x, y, stemTop.0, stemTop.1, stemBottom.0, stemBottom.1, w: stroke)
                    for i in 0..<(points.count - 1) {
                        d = min(
                            d,
                            Shape.segment(x, y, points[i].0, points[i].1, points[i + 1].0, points[i + 1].1, w: stroke))
                    }
                    return min(d, Shape.circle(x, y, cx: dot.0, cy: dot.1, r: stroke * 0.62))
                }
            }
        case .card:
            canvas.fillShape(in: rect, ink) {
                Shape.box($0, $1, cx: cx, cy: cy, hw: s * 0.48, hh: s * 0.31, r: s * 0.06)
            }
            canvas.fillShape(in: rect, paper) {
                Shape.box($0, $1, cx: ox + s * 0.27, cy: cy - s * 0.04, hw: s * 0.1, hh: s * 0.08, r: s * 0.02)
            }
            let a = p(0.16, 0.67)
            let b = p(0.6, 0.67)
            canvas.fillShape(in: rect, paper) { Shape.segment($0, $1, a.0, a.1, b.0, b.1, w: stroke * 0.6) }
            // Contactless waves: a ring cut to its right-hand part, so its distance jumps where it is cut and every
            // pixel is computed (lipschitz: false) inside a box a little larger than the arc.
            for radius in [0.12, 0.2] {
                let centre = p(0.62, 0.4)
                let reach = s * radius + stroke * 0.3 + 2
                let halfHeight = s * radius * 0.7 + 2
                let arc = PixelRect(
                    x: Int((centre.0 + s * 0.02).rounded(.down)) - 1, y: Int((centre.1 - halfHeight).rounded(.down)),
                    width: Int(reach.rounded(.up)) + 2, height: Int((2 * halfHeight).rounded(.up)) + 1
                ).clipped(to: rect)
                canvas.fillShape(in: arc, paper, lipschitz: false) { x, y in
                    let ring = abs(Shape.circle(x, y, cx: centre.0, cy: centre.1, r: s * radius)) - stroke * 0.3
                    return x < centre.0 + s * 0.02 ? max(ring, 1) : max(ring, abs(y - centre.1) - s * radius * 0.7)
                }
            }
        case .hourglass:
            let t = stroke * 0.8
            let upper = [p(0.2, 0.1), p(0.8, 0.1), p(0.53, 0.5), p(0.47, 0.5)]
            let lower = [p(0.47, 0.5), p(0.53, 0.5), p(0.8, 0.9), p(0.2, 0.9)]
            let sand = [p(0.3, 0.16), p(0.7, 0.16), p(0.5, 0.44)]
            canvas.fillShape(in: rect, ink) {
                min(
                    Shape.box($0, $1, cx: cx, cy: oy + s * 0.08, hw: s * 0.36, hh: t / 2, r: t / 3),
                    Shape.box($0, $1, cx: cx, cy: oy + s * 0.92, hw: s * 0.36, hh: t / 2, r: t / 3),
                    Shape.polygon($0, $1, upper), Shape.polygon($0, $1, lower))
            }
            canvas.fillShape(in: rect, paper) { Shape.polygon($0, $1, sand) }
        }
    }
}
