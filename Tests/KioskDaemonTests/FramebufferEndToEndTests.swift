import Display
import Foundation
import KioskCore
import KioskDaemon
import KioskTestSupport
import Testing
import VirtualCard

/// A tap through pcscd and vpcd drawn by the framebuffer renderer on a file-backed 800×480 RGB565 panel (stride
/// larger than the row, mounted portrait: rotated 90°), with the result's tone played through a real subprocess.
@Suite(
    .serialized, .pcscdExclusive,
    .enabled(if: PCSCDHarness.isEnabled, "needs root, unshare, pcscd and vsmartcard-vpcd"))
struct FramebufferEndToEndTests {
    @Test func aTapIsDrawnOnTheFramebufferAndSounded() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fb-e2e-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let geometry = FramebufferGeometry.packed(.rgb565, xres: 800, yres: 480, lineLength: 1664)
        let fbPath = directory.appendingPathComponent("fb0").path
        try Data(count: geometry.smemLength).write(to: URL(fileURLWithPath: fbPath))
        let renderer = FramebufferRenderer(
            configuration: FramebufferConfiguration(
                source: .file(path: fbPath) { geometry }, rotation: .clockwise90, ownsConsole: false),
            rasterizer: ToneRasterizer())
        let script = directory.appendingPathComponent("player.sh")
        try #"cat > "$1""#.write(to: script, atomically: true, encoding: .utf8)
        let recorded = directory.appendingPathComponent("cue.pcm")

        func shown(x: Int, y: Int) throws -> UInt32 {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: fbPath))
            let offset = y * geometry.lineLength + x * 2
            return PixelFormat(.rgb565).rgb(fromPixelValue: UInt64(bytes[offset]) | UInt64(bytes[offset + 1]) << 8)
        }
        func rgb565(_ rgb: UInt32) -> UInt32 {
            let format = PixelFormat(.rgb565)
            return format.rgb(fromPixelValue: format.pixelValue(rgb))
        }

        try await KioskUnderTest.with(
            status: "normal",
            configure: {
                $0.sound = SoundConfiguration(enabled: true, playerCommand: ["/bin/sh", script.path, recorded.path])
            },
            renderer: renderer
        ) { kiosk in
            #expect(try shown(x: 0, y: 0) == rgb565(ToneRasterizer.colour(.blue)))
            let slot = kiosk.harness.slot(0)
            try slot.insert(PBOCCardImage())
            _ = try await kiosk.nextFrame("result") { $0.screen.kind == .result(.normal) }
            #expect(try shown(x: 0, y: 0) == rgb565(ToneRasterizer.colour(.green)))
            #expect(try shown(x: 799, y: 479) == rgb565(ToneRasterizer.colour(.green)))
            #expect(await renderer.lastFrame == .init(rowsWritten: 480, remapped: false))

            let expected = ToneSynthesizer.pcm(SoundCue.positive.melody, sampleRate: 16_000)
            for _ in 0..<2_000 where (try? Data(contentsOf: recorded))?.count != expected.count {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(Array(try Data(contentsOf: recorded)) == expected)
            try await kiosk.harness.remove(slot, waitingForReader: 0)
        }
    }
}
