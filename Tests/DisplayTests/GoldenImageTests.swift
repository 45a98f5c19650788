import Foundation
import Testing

@testable import Display

/// Screens drawn with the reference fonts compared with the PNGs in `Golden/`, which a person looked at before
/// committing them. `make goldens` (KIOSK_UPDATE_GOLDENS=1) rewrites them after an intended change.
@Suite(.serialized) struct GoldenImageTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    static let updating = ProcessInfo.processInfo.environment["KIOSK_UPDATE_GOLDENS"] == "1"

    /// Every demo screen on a landscape 800×480 panel and a portrait 480×800 one, and two on a 1920×1080 one.
    static let cases: [(screen: String, width: Int, height: Int)] =
        DemoScreens.names.flatMap { [($0, 800, 480), ($0, 480, 800)] } + [("normal", 1920, 1080), ("others", 1920, 1080)]

    /// A channel may differ by this much (font rasteriser rounding across FreeType builds)…
    static let channelTolerance: UInt32 = 40
    /// …on at most this share of the pixels.
    static let pixelShare = 0.002

    static func channelDifference(_ a: UInt32, _ b: UInt32) -> UInt32 {
        var worst: UInt32 = 0
        for shift in [16, 8, 0] as [UInt32] {
            let x = (a >> shift) & 0xFF
            let y = (b >> shift) & 0xFF
            worst = max(worst, x > y ? x - y : y - x)
        }
        return worst
    }

    /// Pixels of `a` and `b` (same size) whose channels differ by more than the tolerance, counted off the pool.
    static func differing(_ a: RasterImage, _ b: RasterImage) async -> Int {
        await onOwnThread {
            var n = 0
            for i in a.pixels.indices where channelDifference(a.pixels[i], b.pixels[i]) > channelTolerance { n += 1 }
            return n
        }
    }

    @Test(arguments: cases.indices)
    func matchesTheGolden(index: Int) async throws {
        let (name, width, height) = Self.cases[index]
        let url = Self.directory.appendingPathComponent("\(name)-\(width)x\(height).png")
        let screen = try #require(DemoScreens.screen(named: name))
        let image = try await RasterThread(fonts: .reference).render(screen, width: width, height: height)
        if Self.updating {
            try FileManager.default.createDirectory(at: Self.directory, withIntermediateDirectories: true)
            try PNGFile.write(image, to: url)
        }
        let golden = try PNGFile.read(url)
        try #require(golden.width == width && golden.height == height)
        let differing = await Self.differing(image, golden)
        let allowed = Int(Double(width * height) * Self.pixelShare)
        #expect(differing <= allowed, "\(url.lastPathComponent): \(differing) pixels differ (allowed \(allowed))")
    }

    @Test func theComparisonCatchesAChangedScreen() async throws {
        // Guard against a comparison that cannot fail: another screen differs from the golden by far more.
        let golden = try PNGFile.read(Self.directory.appendingPathComponent("normal-1920x1080.png"))
        let other = try await RasterThread(fonts: .reference).render(
            #require(DemoScreens.screen(named: "centralized-observation")), width: 1920, height: 1080)
        #expect(await Self.differing(other, golden) > Int(Double(1920 * 1080) * Self.pixelShare))
    }
}
