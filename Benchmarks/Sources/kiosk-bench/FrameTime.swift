import Display
import Foundation

/// Time to draw a full result frame (issue 5 "Performance", issue 7): layout + FreeType glyphs + shapes into a
/// `RasterImage`, then converted to the panel's pixel format and copied (changed rows) into a memory-mapped file
/// with the panel's geometry — everything kioskd's framebuffer renderer does per frame but the ioctls.
/// Cold: a fresh rasteriser per frame (fonts opened, glyph cache empty). Warm: one rasteriser reused.
struct FrameTimeBenchmark {
    var frames: Int
    /// Runs only the cases whose label ("1920x1080 32 bpp warm") contains this (profiling one case).
    var only: String? = nil

    struct Panel {
        var name: String
        var geometry: FramebufferGeometry
    }

    func run() throws -> [Figure] {
        let panels = [
            Panel(name: "1920x1080 32 bpp", geometry: .packed(.xrgb8888, xres: 1920, yres: 1080)),
            Panel(name: "800x480 16 bpp", geometry: .packed(.rgb565, xres: 800, yres: 480)),
        ]
        // Alternate two different result screens so every frame really changes.
        let screens = ["popup", "home-observation"].compactMap { DemoScreens.screen(named: $0) }
        precondition(screens.count == 2, "demo screens missing")
        var figures: [Figure] = []
        for panel in panels {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("frame-bench-\(UUID().uuidString)").path
            FileManager.default.createFile(atPath: path, contents: Data(count: panel.geometry.smemLength))
            defer { try? FileManager.default.removeItem(atPath: path) }
            let geometry = panel.geometry
            let surface = try FramebufferSurface(source: .file(path: path) { geometry })
            let (width, height) = surface.imageSize
            for cold in [true, false] {
                let label = "\(panel.name) \(cold ? "cold" : "warm")"
                if let only, !label.contains(only) { continue }
                let warmRasterizer = try FrameRasterizer()
                var samples: [Double] = []
                for frame in 0..<(frames + 3) {
                    let screen = screens[frame % 2]
                    let (_, seconds) = try measure {
                        let rasterizer = cold ? try FrameRasterizer() : warmRasterizer
                        let image = rasterizer.render(screen, width: width, height: height)
                        _ = try surface.present(image)
                    }
                    if frame >= 3 { samples.append(seconds * 1000) }  // the first frames warm the page cache
                }
                let summary = LatencySummary(milliseconds: samples)
                figures.append(Figure(benchmark: "frame", metric: "\(label) p50", value: summary.p50, unit: "ms", goal: "< 16 ms"))
                figures.append(Figure(benchmark: "frame", metric: "\(label) p99", value: summary.p99, unit: "ms", goal: "< 16 ms"))
            }
        }
        return figures
    }
}
