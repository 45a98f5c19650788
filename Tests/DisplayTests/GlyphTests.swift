import Foundation
import Testing

@testable import Display

/// FreeType glyphs through the real Debian fonts (DejaVu Sans, WenQuanYi Micro Hei): fallback, synthetic bold,
/// the cache, and tofu for characters no font has.
@Suite struct GlyphTests {
    let glyphs: GlyphSource

    init() throws {
        glyphs = try GlyphSource(configuration: .reference)
    }

    /// `text` drawn black on white at `size` in a canvas big enough for it, pen at (10, baseline size + 10).
    func draw(_ text: String, size: Int = 64, bold: Bool = false) -> RasterImage {
        var canvas = Canvas(width: size * 2 * max(1, text.count) + 20, height: size * 2, background: 0xFFFFFF)
        canvas.drawText(text, x: 10, baseline: size + 10, size: size, bold: bold, color: 0x000000, glyphs: glyphs)
        return canvas.image
    }

    func tofuReference(size: Int = 64, width: Int) -> RasterImage {
        var canvas = Canvas(width: width, height: size * 2, background: 0xFFFFFF)
        canvas.drawTofu(
            penX: 10, baseline: size + 10, size: size, color: 0x000000,
            clip: PixelRect(x: 0, y: 0, width: width, height: size * 2))
        return canvas.image
    }

    /// Pixels darker than mid-grey inside `rect`.
    func ink(_ image: RasterImage, in rect: PixelRect) -> Int {
        var n = 0
        for y in rect.y..<rect.maxY {
            for x in rect.x..<rect.maxX where (image[x, y] & 0xFF) < 128 { n += 1 }
        }
        return n
    }

    @Test func theFontsLoadInOrder() {
        #expect(glyphs.faceNames == ["DejaVu Sans Book", "WenQuanYi Micro Hei Regular", "DejaVu Sans Bold"])
        #expect(glyphs.skipped.isEmpty)
    }

    @Test(arguments: ["龘", "堃", "喆", "昇", "明", "张"])
    func rareCharactersTheCJKFontHasAreRealGlyphs(character: String) throws {
        let scalar = try #require(character.unicodeScalars.first)
        #expect(glyphs.origin(of: scalar, bold: false) == .font(face: 1, synthetic: false))
        let image = draw(character)
        let tofu = tofuReference(width: image.width)
        #expect(image.pixels != tofu.pixels)
        // The inside of the tofu box is empty; a real ideograph has strokes there.
        let s = 64.0
        let inner = PixelRect(
            x: 10 + Int(Tofu.left * s) + 2 * Tofu.stroke(size: 64),
            y: 74 - Int(Tofu.top * s) + 2 * Tofu.stroke(size: 64),
            width: Int(Tofu.width * s) - 4 * Tofu.stroke(size: 64),
            height: Int((Tofu.top + Tofu.bottom) * s) - 4 * Tofu.stroke(size: 64))
        #expect(ink(tofu, in: inner) == 0)
        #expect(ink(image, in: inner) > 100, "\(character) has strokes inside the box")
    }

    @Test(arguments: ["\u{20000}", "\u{4DAE}", "\u{3400}", "\u{2A6D6}"])
    func charactersNoFontHasAreTofuNeverAnotherCharacter(character: String) throws {
        let scalar = try #require(character.unicodeScalars.first)
        #expect(glyphs.origin(of: scalar, bold: false) == .tofu)
        #expect(glyphs.origin(of: scalar, bold: true) == .tofu)
        let image = draw(character)
        #expect(image.pixels == tofuReference(width: image.width).pixels, "drawn exactly as the tofu box")
        // The box is visible: its four sides are solid ink.
        let stroke = Tofu.stroke(size: 64)
        let left = 10 + Int((Tofu.left * 64).rounded())
        let top = 74 - Int((Tofu.top * 64).rounded())
        #expect(
            ink(image, in: PixelRect(x: left, y: top, width: Int(Tofu.width * 64), height: stroke)) == Int(
                Tofu.width * 64) * stroke)
        #expect(
            ink(image, in: PixelRect(x: left, y: top, width: stroke, height: Int(Tofu.top * 64))) == Int(Tofu.top * 64)
                * stroke)
    }

    @Test func aNameWithAMissingCharacterKeepsItsOtherCharactersAndWidth() {
        // 李䶮: 李 is drawn, 䶮 is a box; the box has its own advance, so nothing overlaps.
        let name = "李\u{4DAE}"
        let image = draw(name)
        let alone = draw("李")
        let liWidth = Int(glyphs.width(of: "李", size: 64, bold: false).rounded())
        let firstHalf = PixelRect(x: 0, y: 0, width: 10 + liWidth, height: 128)
        for y in firstHalf.y..<firstHalf.maxY {
            for x in firstHalf.x..<firstHalf.maxX where image[x, y] != alone[x, y] {
                Issue.record("李 differs at \(x),\(y)")
                return
            }
        }
        #expect(
            glyphs.width(of: name, size: 64, bold: false) == Double(liWidth) + Tofu.advance * 64
                || abs(
                    glyphs.width(of: name, size: 64, bold: false)
                        - (glyphs.width(of: "李", size: 64, bold: false) + Tofu.advance * 64)) < 1e-9
        )
    }

    @Test func boldUsesTheBoldFaceOrEmboldensSynthetically() throws {
        #expect(glyphs.origin(of: "N", bold: true) == .font(face: 2, synthetic: false))
        #expect(glyphs.origin(of: "N", bold: false) == .font(face: 0, synthetic: false))
        // WenQuanYi has no bold: its glyphs are emboldened with FT_Outline_Embolden.
        #expect(glyphs.origin(of: "异", bold: true) == .font(face: 1, synthetic: true))
        let regular = draw("未见异常", size: 80)
        let bold = draw("未见异常", size: 80, bold: true)
        let all = PixelRect(x: 0, y: 0, width: regular.width, height: regular.height)
        let regularInk = ink(regular, in: all)
        let boldInk = ink(bold, in: all)
        #expect(Double(boldInk) > Double(regularInk) * 1.15, "bold \(boldInk) vs regular \(regularInk)")
        #expect(glyphs.width(of: "异", size: 80, bold: true) > glyphs.width(of: "异", size: 80, bold: false))
    }

    @Test func variationSelectorsAreNotDrawn() {
        #expect(glyphs.origin(of: "\u{FE0F}", bold: false) == .invisible)
        #expect(draw("明\u{FE0F}").pixels == draw("明").pixels)
    }

    @Test func theGlyphCacheRendersEachGlyphOncePerSize() {
        _ = draw("未见异常 No", size: 50)
        let afterFirst = glyphs.renderedGlyphs
        #expect(afterFirst == 7, "未 见 异 常, space, N, o (the space's bitmap is empty but cached too)")
        _ = draw("未见异常 No", size: 50)
        #expect(glyphs.renderedGlyphs == afterFirst)
        _ = draw("未见", size: 51)
        #expect(glyphs.renderedGlyphs == afterFirst + 2)
        glyphs.clearGlyphCache()
        #expect(glyphs.cachedGlyphCount == 0)
        _ = draw("未见", size: 51)
        #expect(glyphs.renderedGlyphs == afterFirst + 4)
    }

    @Test func measuredWidthMatchesTheDrawnInk() {
        let text = "No abnormality"
        let image = draw(text, size: 40)
        let width = glyphs.width(of: text, size: 40, bold: false)
        var rightmost = 0
        for y in 0..<image.height {
            for x in 0..<image.width where (image[x, y] & 0xFF) < 200 { rightmost = max(rightmost, x) }
        }
        #expect(Double(rightmost) <= 10 + width + 2)
        #expect(Double(rightmost) >= 10 + width - 8)
    }

    @Test func missingFontFilesAreSkippedAndNoneAtAllIsAnError() throws {
        let partial = try GlyphSource(
            configuration: FontConfiguration(
                regular: [
                    .init(path: "/nonexistent/font.ttf"), .init(path: "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
                ]))
        #expect(partial.skipped.map(\.face.path) == ["/nonexistent/font.ttf"])
        #expect(partial.faceNames == ["WenQuanYi Micro Hei Regular"])
        #expect(throws: FontError.self) {
            _ = try GlyphSource(configuration: FontConfiguration(regular: [.init(path: "/nonexistent/font.ttf")]))
        }
    }
}
