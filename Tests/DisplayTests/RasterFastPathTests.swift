import Foundation
import Testing

@testable import Display

/// The rasteriser's fast paths give exactly the pixels of the simple rules they stand for: shapes decided block by
/// block against every pixel computed, cached icons against icons drawn, glyphs blended row by row against the
/// per-pixel loop. Exact equality, not the golden images' tolerance.
@Suite struct RasterFastPathTests {
    /// A light band with black ink and a dark one with white ink.
    static let bands: [(paper: UInt32, ink: UInt32)] = [Palette.band(.yellow), Palette.band(.red)].map {
        ($0.background, $0.foreground)
    }

    /// Pixels of `image` that are not `colour`.
    static func pixels(of image: RasterImage, otherThan colour: UInt32) -> Int {
        image.pixels.reduce(0) { $0 + ($1 == colour ? 0 : 1) }
    }

    @Test(arguments: Screen.Icon.allCases)
    func iconsDrawnByBlocksMatchEveryPixelComputed(icon: Screen.Icon) async throws {
        let mismatches = await onOwnThread { () -> [String] in
            guard let glyphs = try? GlyphSource(configuration: .reference) else { return ["no fonts"] }
            var out: [String] = []
            for side in [9, 57, 150] {
                for band in Self.bands {
                    // Whole, and cut by the image's right and bottom edges.
                    for rect in [
                        PixelRect(x: 5, y: 3, width: side, height: side),
                        PixelRect(x: side / 2 + 7, y: side / 3 + 4, width: side, height: side),
                    ] {
                        var fast = Canvas(width: side + 13, height: side + 11, background: band.paper)
                        var slow = fast
                        slow.skipsShapeBlocks = false
                        IconPainter.draw(icon, in: rect, ink: band.ink, paper: band.paper, on: &fast, glyphs: glyphs)
                        IconPainter.draw(icon, in: rect, ink: band.ink, paper: band.paper, on: &slow, glyphs: glyphs)
                        let drawn = Self.pixels(of: slow.image, otherThan: band.paper)
                        if drawn < side * side / 20 { out.append("\(icon) \(side) \(rect): only \(drawn) pixels drawn") }
                        if fast.image != slow.image { out.append("\(icon) \(side) \(rect) \(band): differs") }
                    }
                }
            }
            return out
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    @Test func roundedRectanglesDrawnByBlocksMatchEveryPixelComputed() async {
        let mismatches = await onOwnThread { () -> [String] in
            var out: [String] = []
            for (width, height, radius) in [(40, 30, 0.5), (200, 90, 12), (300, 60, 30), (90, 300, 45), (64, 64, 100)] {
                var fast = Canvas(width: width + 20, height: height + 20, background: Palette.page)
                var slow = fast
                slow.skipsShapeBlocks = false
                let rect = PixelRect(x: 7, y: 9, width: width, height: height)
                fast.fillRoundedRect(rect, radius: radius, Palette.noticeBorder)
                slow.fillRoundedRect(rect, radius: radius, Palette.noticeBorder)
                if fast.image != slow.image { out.append("\(width)×\(height) r \(radius) differs") }
                // The corners are cut: the rectangle's corner pixel stays page-white for any radius over one pixel.
                if radius > 1, slow.image[7, 9] != Palette.page { out.append("\(width)×\(height) r \(radius): corner") }
            }
            return out
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    /// The blend as it was first written: one division by 255 per channel.
    static func referenceBlend(_ under: UInt32, _ color: UInt32, _ alpha: UInt32) -> UInt32 {
        if alpha >= 255 { return color }
        let inv = 255 - alpha
        let r = (((color >> 16) & 0xFF) * alpha + ((under >> 16) & 0xFF) * inv + 127) / 255
        let g = (((color >> 8) & 0xFF) * alpha + ((under >> 8) & 0xFF) * inv + 127) / 255
        let b = ((color & 0xFF) * alpha + (under & 0xFF) * inv + 127) / 255
        return (r << 16) | (g << 8) | b
    }

    @Test func theLaneBlendEqualsDividingEachChannel() async {
        // Every alpha, and channel values in steps of 3 (0, 3, …, 255), each channel different from the others.
        let mismatches = await onOwnThread { () -> [String] in
            var out: [String] = []
            var checked = 0
            for alpha in UInt32(0)...255 {
                for u in stride(from: UInt32(0), through: 255, by: 3) {
                    for c in stride(from: UInt32(0), through: 255, by: 3) {
                        let under = u << 16 | (255 - u) << 8 | (u ^ 0x5A)
                        let color = (255 - c) << 16 | c << 8 | (c ^ 0xA5)
                        checked += 1
                        if Canvas.blend(under, color, alpha) != Self.referenceBlend(under, color, alpha), out.count < 5 {
                            out.append("under \(under) color \(color) alpha \(alpha)")
                        }
                    }
                }
            }
            if checked != 256 * 86 * 86 { out.append("checked \(checked)") }
            return out
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    /// The per-pixel glyph blending the row loop of ``Canvas/drawText`` replaced.
    static func referenceText(
        _ text: String, on canvas: inout Canvas, x: Double, baseline: Int, size: Int, color: UInt32,
        glyphs: GlyphSource, clip: PixelRect
    ) {
        let cx0 = max(0, clip.x)
        let cx1 = min(canvas.image.width, clip.maxX)
        let cy0 = max(0, clip.y)
        let cy1 = min(canvas.image.height, clip.maxY)
        glyphs.forEachGlyph(in: text, size: size, bold: false) { bitmap, pen in
            guard let bitmap else { return }
            let left = Int((x + pen).rounded()) + bitmap.left
            let top = baseline - bitmap.top
            for row in 0..<bitmap.rows {
                let y = top + row
                guard y >= cy0, y < cy1 else { continue }
                for column in 0..<bitmap.width {
                    let px = left + column
                    guard px >= cx0, px < cx1 else { continue }
                    let alpha = UInt32(bitmap.coverage[row * bitmap.width + column])
                    guard alpha > 0 else { continue }
                    canvas.image[px, y] = Self.referenceBlend(canvas.image[px, y], color, alpha)
                }
            }
        }
    }

    @Test func glyphRowsBlendLikeEveryPixel() async {
        let mismatches = await onOwnThread { () -> [String] in
            guard let glyphs = try? GlyphSource(configuration: .reference) else { return ["no fonts"] }
            var out: [String] = []
            let text = "集中观察 Home observation 110***1234"
            for size in [14, 37, 120] {
                let width = size * 12
                let height = size * 2
                for (x, clip) in [
                    (10.3, PixelRect(x: 0, y: 0, width: width, height: height)),
                    // Cut through glyphs on every side, and the pen starting left of the image.
                    (Double(-size) * 1.5, PixelRect(x: size / 3, y: size / 2, width: width / 2, height: size)),
                ] {
                    var fast = Canvas(width: width, height: height, background: Palette.notice)
                    var slow = fast
                    fast.drawText(
                        text, x: x, baseline: size + size / 3, size: size, bold: false, color: Palette.text,
                        glyphs: glyphs, clip: clip)
                    Self.referenceText(
                        text, on: &slow, x: x, baseline: size + size / 3, size: size, color: Palette.text,
                        glyphs: glyphs, clip: clip)
                    let inked = Self.pixels(of: slow.image, otherThan: Palette.notice)
                    if inked < size { out.append("\(size) \(clip): only \(inked) pixels inked") }
                    if fast.image != slow.image { out.append("\(size) \(clip): differs") }
                }
            }
            return out
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    @Test func aCachedIconIsExactlyTheIconDrawn() async throws {
        let screens = try ["popup", "home-observation", "others", "idle"].map { try #require(DemoScreens.screen(named: $0)) }
        let results = await onOwnThread { () -> (equal: [Bool], hits: Int, misses: Int)? in
            guard let reused = try? FrameRasterizer(fonts: .reference) else { return nil }
            var equal: [Bool] = []
            // Each screen twice through one rasteriser (the second time from the cache), against a fresh one.
            for screen in screens + screens {
                guard let fresh = try? FrameRasterizer(fonts: .reference) else { return nil }
                equal.append(
                    reused.render(screen, width: 800, height: 480) == fresh.render(screen, width: 800, height: 480))
            }
            return (equal, reused.icons.hits, reused.icons.misses)
        }
        let (equal, hits, misses) = try #require(results)
        #expect(equal == Array(repeating: true, count: 8))
        // popup, home-observation and idle have one icon each, others four tiles: 7 drawn, then 7 copied.
        #expect(misses == 7)
        #expect(hits == 7)
    }

    @Test func anIconOnMixedPixelsIsDrawnNotCached() {
        var cache = IconCache(budgetBytes: 1 << 20)
        let placement = FramePlan.IconPlacement(
            icon: .checkInCircle, rect: PixelRect(x: 4, y: 4, width: 20, height: 20), foreground: 0, background: 0x2ECC71)
        var canvas = Canvas(width: 30, height: 30, background: 0x2ECC71)
        canvas.fill(PixelRect(x: 0, y: 0, width: 10, height: 30), 0xFFFFFF)
        var painted = 0
        for _ in 0..<2 { cache.draw(placement, on: &canvas) { _ in painted += 1 } }
        #expect(painted == 2)
        #expect(cache.count == 0)
        #expect(cache.misses == 2 && cache.hits == 0)
        // Outside the image: drawn, not cached.
        var outside = placement
        outside.rect.x = 20
        var plain = Canvas(width: 30, height: 30, background: 0x2ECC71)
        cache.draw(outside, on: &plain) { _ in painted += 1 }
        #expect(painted == 3)
        #expect(cache.count == 0)
    }

    @Test func theIconCacheKeepsToItsBudget() {
        // Room for two 10×10 icons (400 bytes each).
        var cache = IconCache(budgetBytes: 800)
        var canvas = Canvas(width: 40, height: 40, background: 0x0B4A8F)
        var painted: [Int] = []
        func place(_ n: Int) -> FramePlan.IconPlacement {
            .init(icon: .info, rect: PixelRect(x: n * 10, y: 0, width: 10, height: 10), foreground: 0xFFFFFF,
                  background: 0x0B4A8F)
        }
        for n in [0, 1, 2, 2, 0] {
            cache.draw(place(n), on: &canvas) { canvas in
                painted.append(n)
                canvas.fill(place(n).rect, 0xFFFFFF)
            }
            // Each icon draws on plain band colour: clear it again for the next round.
            canvas.fill(place(n).rect, 0x0B4A8F)
        }
        // 0, 1, 2 drawn; 2 copied; 0 had been evicted by 2 (least recently used) and is drawn again.
        #expect(painted == [0, 1, 2, 0])
        #expect(cache.count == 2)
        #expect(cache.hits == 1)
        var check = Canvas(width: 40, height: 40, background: 0x0B4A8F)
        cache.draw(place(2), on: &check) { _ in painted.append(-1) }
        #expect(check.image[25, 5] == 0xFFFFFF, "the cached pixels are copied in")
        #expect(painted.last == 0)
    }
}
