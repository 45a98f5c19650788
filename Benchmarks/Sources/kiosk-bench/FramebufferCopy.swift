import Display
import Foundation

/// Framebuffer frame time without drawing (formerly the root package's `kiosk-fb-bench`): a ready `RasterImage`
/// converted to the panel's pixel format, rotated, compared row by row with the last frame and the changed rows copied
/// into a memory-mapped file with a driver's geometry — `FramebufferSurface.present`, everything but the ioctls.
struct FramebufferCopyBenchmark {
    var frames: Int

    struct Case {
        var name: String
        var geometry: FramebufferGeometry
        var rotation: FramebufferRotation
        /// Alternate two different images (every row changes) or show the same one (rows compared, none copied).
        var changing: Bool
    }

    func run() throws -> [Figure] {
        let fullHD = FramebufferGeometry.packed(.xrgb8888, xres: 1920, yres: 1080)
        let small = FramebufferGeometry.packed(.rgb565, xres: 800, yres: 480)
        let cases = [
            Case(name: "1920x1080 XRGB8888", geometry: fullHD, rotation: .none, changing: true),
            Case(name: "1920x1080 XRGB8888 unchanged", geometry: fullHD, rotation: .none, changing: false),
            Case(name: "1920x1080 XRGB8888 rotated 90", geometry: fullHD, rotation: .clockwise90, changing: true),
            Case(
                name: "1366x768 XRGB8888 stride 5504",
                geometry: .packed(.xrgb8888, xres: 1366, yres: 768, lineLength: 5504), rotation: .none, changing: true),
            Case(name: "800x480 RGB565", geometry: small, rotation: .none, changing: true),
            Case(name: "800x480 RGB565 rotated 270", geometry: small, rotation: .clockwise270, changing: true),
            Case(name: "1024x600 BGR24", geometry: .packed(.bgr24, xres: 1024, yres: 600), rotation: .none, changing: true),
        ]
        var figures: [Figure] = []
        for benchCase in cases {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("fb-bench-\(UUID().uuidString)").path
            _ = FileManager.default.createFile(atPath: path, contents: Data(count: benchCase.geometry.smemLength))
            defer { try? FileManager.default.removeItem(atPath: path) }
            let geometry = benchCase.geometry
            let surface = try FramebufferSurface(source: .file(path: path) { geometry }, rotation: benchCase.rotation)
            let (width, height) = surface.imageSize
            var a = RasterImage(width: width, height: height, fill: 0x1B7F3B)
            var b = RasterImage(width: width, height: height, fill: 0xC62828)
            for y in stride(from: 0, to: height, by: 7) {
                for x in 0..<width {
                    a[x, y] = UInt32(x &* 2_654_435_761 & 0xFFFFFF)
                    b[x, y] = UInt32(y &* 40503 & 0xFFFFFF)
                }
            }
            var samples: [Double] = []
            var rows = 0
            for frame in 0..<(frames + 5) {
                let image = benchCase.changing && frame % 2 == 1 ? b : a
                let (report, seconds) = try measure { try surface.present(image) }
                if frame >= 5 {  // warm-up frames dropped
                    samples.append(seconds * 1000)
                    rows += report.rowsWritten
                }
            }
            let summary = LatencySummary(milliseconds: samples)
            let label = "\(benchCase.name) (\(rows / frames) rows/frame)"
            figures.append(Figure(benchmark: "framebuffer copy", metric: "\(label) p50", value: summary.p50, unit: "ms", goal: nil))
            figures.append(Figure(benchmark: "framebuffer copy", metric: "\(label) p99", value: summary.p99, unit: "ms", goal: nil))
        }
        return figures
    }
}
