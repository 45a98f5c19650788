import Foundation
import Testing

@testable import Display

/// Frame times of the rasteriser (not a test of speed: it asserts only what it drew). Runs when
/// `KIOSK_RENDER_BENCH_FRAMES` is set (`make bench`); prints p50/p99 per panel size, glyph cache cold and warm.
@Suite struct RenderBenchmark {
    static let frames = Int(ProcessInfo.processInfo.environment["KIOSK_RENDER_BENCH_FRAMES"] ?? "") ?? 0

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
    }

    @Test(.enabled(if: frames > 0)) func renderFrameTimes() throws {
        let rasterizer = try FrameRasterizer(fonts: .reference)
        let screen = try #require(DemoScreens.screen(named: "popup"))
        for (width, height) in [(1920, 1080), (800, 480)] {
            for cold in [true, false] {
                var times: [Double] = []
                var plans: [Double] = []
                for _ in 0..<Self.frames {
                    if cold { rasterizer.glyphs.clearGlyphCache() }
                    let start = ContinuousClock.now
                    let plan = rasterizer.plan(screen, width: width, height: height)
                    let planned = ContinuousClock.now
                    let image = rasterizer.draw(plan)
                    let end = ContinuousClock.now
                    #expect(image.width == width && image.pixels.count == width * height)
                    times.append((end - start) / .milliseconds(1))
                    plans.append((planned - start) / .milliseconds(1))
                }
                times.sort()
                plans.sort()
                print(
                    String(
                        format:
                            "render %4d×%-4d glyph cache %@: p50 %.2f ms, p99 %.2f ms (layout p50 %.2f ms), %d frames",
                        width, height, cold ? "cold" : "warm", Self.percentile(times, 0.5),
                        Self.percentile(times, 0.99),
                        Self.percentile(plans, 0.5), Self.frames))
            }
        }
    }
}
