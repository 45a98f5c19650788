import Foundation
import Testing

@testable import Display

/// The framebuffer shows the same pixels as the PNG preview: a demo screen drawn by ``FramebufferRenderer`` with
/// the glyph rasteriser into a file-backed panel (stride wider than a row, 32 bpp and RGB565) is read back pixel by
/// pixel and compared with the same screen written to a PNG file by ``PNGRenderer`` and decoded.
@Suite struct FramebufferMatchesPNGTests {
    @Test(arguments: [PixelFormat.Known.xrgb8888, .rgb565])
    func framebufferPixelsEqualThePNGPreview(format: PixelFormat.Known) async throws {
        let (width, height) = (320, 200)
        let screen = try #require(DemoScreens.screen(named: "home-observation"))
        let bytesPerPixel = format == .rgb565 ? 2 : 4
        let geometry = FramebufferGeometry.packed(format, xres: width, yres: height, lineLength: width * bytesPerPixel + 40)
        let file = try FramebufferFile(geometry)
        let renderer = FramebufferRenderer(
            configuration: FramebufferConfiguration(source: file.source, ownsConsole: false),
            rasterizer: try GlyphScreenRasterizer(fonts: .reference))
        _ = try await renderer.start()
        try await renderer.draw(screen)
        await renderer.stop()

        let pngURL = FileManager.default.temporaryDirectory.appendingPathComponent("fb-vs-png-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: pngURL) }
        let png = try PNGRenderer(url: pngURL, width: width, height: height, fonts: .reference)
        try await png.draw(screen)
        let preview = try PNGFile.read(pngURL)
        #expect(preview.width == width && preview.height == height)

        let bytes = try file.bytes()
        let pixelFormat = try geometry.validate()
        var mismatches = 0
        var distinctColours = Set<UInt32>()
        for y in 0..<height {
            for x in 0..<width {
                let shown = try FramebufferFile.colour(in: bytes, x: x, y: y, geometry: geometry)
                distinctColours.insert(preview[x, y])
                if !matches(shown, preview[x, y], format: pixelFormat) { mismatches += 1 }
            }
        }
        #expect(mismatches == 0)
        #expect(distinctColours.count > 20, "the screen has text and shapes, not one colour")
    }
}
