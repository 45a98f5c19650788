import Foundation
import Testing

@testable import Display

/// Screens drawn with the reference fonts compared with the PNGs in `Golden/`, which a person looked at before
/// committing them. `make goldens` (KIOSK_UPDATE_GOLDENS=1) rewrites them after an intended change.
@Suite(.serialized) struct GoldenImageTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    static let updating = ProcessInfo.processInfo.environment["KIOSK_UPDATE_GOLDENS"] == "1"

    static let cases: [(screen: String, width: Int, height: Int)] = [
        ("normal", 1920, 1080), ("others", 1920, 1080),
        ("popup", 480, 800), ("cannot-verify", 480, 800), ("idle", 480, 800),
    ]

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

    @Test(arguments: cases.indices)
    func matchesTheGolden(index: Int) throws {
        let (name, width, height) = Self.cases[index]
        let url = Self.directory.appendingPathComponent("\(name)-\(width)x\(height).png")
        let screen = try #require(DemoScreens.screen(named: name))
        let image = try FrameRasterizer(fonts: .reference).render(screen, width: width, height: height)
        if Self.updating {
            try FileManager.default.createDirectory(at: Self.directory, withIntermediateDirectories: true)
            try PNGFile.write(image, to: url)
        }
        let golden = try PNGFile.read(url)
        #expect(golden.width == width && golden.height == height)
        var differing = 0
        for i in image.pixels.indices
        where Self.channelDifference(image.pixels[i], golden.pixels[i]) > Self.channelTolerance {
            differing += 1
        }
        let allowed = Int(Double(width * height) * Self.pixelShare)
        #expect(differing <= allowed, "\(url.lastPathComponent): \(differing) pixels differ (allowed \(allowed))")
    }

    @Test func theComparisonCatchesAChangedScreen() throws {
        // Guard against a comparison that cannot fail: another screen differs from the golden by far more.
        let golden = try PNGFile.read(Self.directory.appendingPathComponent("normal-1920x1080.png"))
        let other = try FrameRasterizer(fonts: .reference).render(
            #require(DemoScreens.screen(named: "centralized-observation")), width: 1920, height: 1080)
        let differing = other.pixels.indices.filter {
            Self.channelDifference(other.pixels[$0], golden.pixels[$0]) > Self.channelTolerance
        }.count
        #expect(differing > Int(Double(1920 * 1080) * Self.pixelShare))
    }
}
