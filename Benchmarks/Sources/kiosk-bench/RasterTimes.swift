import Display
import Foundation

/// The rasteriser alone (formerly the debug test `renderFrameTimes`): layout (`plan`) and drawing (`draw`) of the
/// pop-up result screen into a `RasterImage` with the reference fonts, glyph cache cleared before each frame (cold) or
/// kept (warm), at 1920×1080 and 800×480.
struct RasterBenchmark {
    var frames: Int

    func run() throws -> [Figure] {
        let rasterizer = try FrameRasterizer(fonts: .reference)
        guard let screen = DemoScreens.screen(named: "popup") else { throw RigError("demo screen 'popup' missing") }
        var figures: [Figure] = []
        for (width, height) in [(1920, 1080), (800, 480)] {
            for cold in [true, false] {
                var times: [Double] = []
                var plans: [Double] = []
                for _ in 0..<frames {
                    if cold { rasterizer.glyphs.clearGlyphCache() }
                    let start = ContinuousClock.now
                    let plan = rasterizer.plan(screen, width: width, height: height)
                    let planned = ContinuousClock.now
                    let image = rasterizer.draw(plan)
                    let end = ContinuousClock.now
                    guard image.width == width, image.pixels.count == width * height else {
                        throw RigError("drew \(image.width) wide, \(image.pixels.count) pixels")
                    }
                    times.append((end - start).milliseconds)
                    plans.append((planned - start).milliseconds)
                }
                let label = "\(width)x\(height) glyph cache \(cold ? "cold" : "warm")"
                let total = LatencySummary(milliseconds: times)
                figures.append(Figure(benchmark: "raster", metric: "\(label) p50", value: total.p50, unit: "ms", goal: nil))
                figures.append(Figure(benchmark: "raster", metric: "\(label) p99", value: total.p99, unit: "ms", goal: nil))
                figures.append(Figure(benchmark: "raster", metric: "\(label) layout p50", value: LatencySummary(milliseconds: plans).p50, unit: "ms", goal: nil))
            }
        }
        return figures
    }
}
