// Framebuffer frame time: RasterImage → converted, rotated rows → a memory-mapped file with a driver's geometry.
// Not a test: prints p50/p99 per case. Run: swift run -c release kiosk-fb-bench [frames]
import Display
import Foundation

struct Case {
    var name: String
    var geometry: FramebufferGeometry
    var rotation: FramebufferRotation
    /// Alternate two different images (every row changes) or show the same one (rows compared, none copied).
    var changing: Bool
}

let frames = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 200
let fullHD = FramebufferGeometry.packed(.xrgb8888, xres: 1920, yres: 1080)
let small = FramebufferGeometry.packed(.rgb565, xres: 800, yres: 480)
let cases = [
    Case(name: "1920x1080 XRGB8888", geometry: fullHD, rotation: .none, changing: true),
    Case(name: "1920x1080 XRGB8888 unchanged", geometry: fullHD, rotation: .none, changing: false),
    Case(name: "1920x1080 XRGB8888 rotated 90", geometry: fullHD, rotation: .clockwise90, changing: true),
    Case(
        name: "1366x768 XRGB8888 stride 5504", geometry: .packed(.xrgb8888, xres: 1366, yres: 768, lineLength: 5504),
        rotation: .none, changing: true),
    Case(name: "800x480 RGB565", geometry: small, rotation: .none, changing: true),
    Case(name: "800x480 RGB565 rotated 270", geometry: small, rotation: .clockwise270, changing: true),
    Case(name: "1024x600 BGR24", geometry: .packed(.bgr24, xres: 1024, yres: 600), rotation: .none, changing: true),
]

func percentile(_ sorted: [Duration], _ p: Double) -> Duration {
    sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.down)))]
}

func milliseconds(_ d: Duration) -> String {
    let (seconds, attoseconds) = d.components
    return String(format: "%.3f", Double(seconds) * 1000 + Double(attoseconds) / 1e15)
}

print("frames per case: \(frames) (convert + compare + copy changed rows into a mapped file)")
print("case".padding(toLength: 34, withPad: " ", startingAt: 0) + "  p50 ms   p99 ms")
for benchCase in cases {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("fb-bench-\(UUID().uuidString)").path
    FileManager.default.createFile(atPath: path, contents: Data(count: benchCase.geometry.smemLength))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let geometry = benchCase.geometry
    let surface = try FramebufferSurface(source: .file(path: path) { geometry }, rotation: benchCase.rotation)
    let (width, height) = surface.imageSize
    var a = RasterImage(width: width, height: height, fill: 0x1B7F3B)
    var b = RasterImage(width: width, height: height, fill: 0xC62828)
    for y in stride(from: 0, to: height, by: 7) {
        for x in 0..<width { a[x, y] = UInt32(x &* 2654435761 & 0xFFFFFF); b[x, y] = UInt32(y &* 40503 & 0xFFFFFF) }
    }
    let clock = ContinuousClock()
    var times: [Duration] = []
    var rows = 0
    for frame in 0..<(frames + 5) {
        let image = benchCase.changing && frame % 2 == 1 ? b : a
        let start = clock.now
        let report = try surface.present(image)
        let elapsed = clock.now - start
        if frame >= 5 {  // warm-up frames dropped
            times.append(elapsed)
            rows += report.rowsWritten
        }
    }
    times.sort()
    print(
        benchCase.name.padding(toLength: 34, withPad: " ", startingAt: 0)
            + "  \(milliseconds(percentile(times, 0.5)).padding(toLength: 7, withPad: " ", startingAt: 0))"
            + "  \(milliseconds(percentile(times, 0.99)))   rows/frame \(rows / frames)")
}
