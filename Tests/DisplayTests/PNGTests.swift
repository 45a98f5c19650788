import Foundation
import Testing

@testable import Display

@Suite struct PNGTests {
    func temporaryURL(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("kiosk-png-\(UUID().uuidString)-\(name)")
    }

    @Test func encodeThenDecodeGivesTheSamePixels() throws {
        var image = RasterImage(width: 7, height: 5, fill: 0x102030)
        for y in 0..<5 {
            for x in 0..<7 { image[x, y] = UInt32(x * 36) << 16 | UInt32(y * 60) << 8 | UInt32((x + y) * 20) }
        }
        let bytes = try PNGFile.encode(image)
        #expect(Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // IHDR: width 7, height 5, 8 bits, colour type 2 (RGB).
        #expect(Array(bytes[16..<26]) == [0, 0, 0, 7, 0, 0, 0, 5, 8, 2])
        #expect(try PNGFile.decode(bytes) == image)
    }

    @Test func garbageIsAClearErrorNotACrash() throws {
        let error = try #require(throws: PNGError.self) { try PNGFile.decode(Array("not a png".utf8)) }
        #expect(!error.message.isEmpty)
        let url = temporaryURL("bad.png")
        try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let truncated = try #require(throws: PNGError.self) { try PNGFile.read(url) }
        #expect(truncated.message.hasPrefix(url.path))
    }

    @Test func thePNGRendererWritesWhatTheRasterizerDraws() async throws {
        let url = temporaryURL("frame.png")
        defer { try? FileManager.default.removeItem(at: url) }
        let renderer = try PNGRenderer(url: url, width: 800, height: 480, fonts: .reference)
        let screen = try #require(DemoScreens.screen(named: "home-observation"))
        try await renderer.draw(screen)
        let written = try PNGFile.read(url)
        let expected = try await RasterThread(fonts: .reference).render(screen, width: 800, height: 480)
        #expect(written == expected)
        // The next frame replaces the file.
        try await renderer.draw(#require(DemoScreens.screen(named: "idle")))
        #expect(try PNGFile.read(url) != expected)
    }
}
