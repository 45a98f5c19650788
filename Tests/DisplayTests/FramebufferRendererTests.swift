import CLinuxShims
import Foundation
import KioskCore
import Testing

@testable import Display

#if canImport(Glibc)
    import Glibc
#endif

/// The framebuffer renderer end to end on a file-backed framebuffer, with the tone rasteriser (every pixel known).
@Suite struct FramebufferRendererTests {
    @Test func drawsEachScreenInItsToneAtTheRotatedSize() async throws {
        let geometry = FramebufferGeometry.packed(.bgr565, xres: 20, yres: 12, lineLength: 48)
        let file = try FramebufferFile(geometry)
        let renderer = FramebufferRenderer(
            configuration: FramebufferConfiguration(source: file.source, rotation: .clockwise270, ownsConsole: false),
            rasterizer: RecordingRasterizer())
        #expect(try await renderer.start() == [])
        for (state, tone) in [
            (DisplayState.idle, Screen.Tone.blue),
            (Sample.found(Sample.record(.normal)), .green),
            (Sample.found(Sample.record(.centralizedObservation)), .red),
        ] {
            let screen = Sample.screen(state)
            #expect(screen.tone == tone)
            try await renderer.draw(screen)
            let bytes = try file.bytes()
            for (x, y) in [(0, 0), (19, 11), (7, 3)] {
                #expect(
                    matches(
                        try FramebufferFile.colour(in: bytes, x: x, y: y, geometry: geometry),
                        ToneRasterizer.colour(tone), format: PixelFormat(.bgr565)))
            }
        }
        #expect(await renderer.lastFrame?.rowsWritten == 12)
    }

    @Test func aDriverSwapIsNoticedBetweenTapsAndTheLastScreenRedrawn() async throws {
        let file = try FramebufferFile(.packed(.xrgb8888, xres: 8, yres: 6))
        let renderer = FramebufferRenderer(
            configuration: FramebufferConfiguration(source: file.source, ownsConsole: false),
            rasterizer: ToneRasterizer())
        _ = try await renderer.start()
        try await renderer.draw(Sample.screen(Sample.found(Sample.record(.homeObservation))))
        #expect(try await renderer.checkDevice() == false)

        let real = FramebufferGeometry.packed(.rgb565, xres: 10, yres: 4, lineLength: 24)
        try file.change(to: real)
        #expect(try await renderer.checkDevice() == true)
        #expect(await renderer.lastFrame == .init(rowsWritten: 4, remapped: true))
        let shown = try FramebufferFile.colour(in: try file.bytes(), x: 9, y: 3, geometry: real)
        #expect(matches(shown, ToneRasterizer.colour(.yellow), format: PixelFormat(.rgb565)))
    }

    @Test func aConsoleThatIsNotAVTIsAWarningAndDrawingGoesOn() async throws {
        var primary: Int32 = -1
        var replica: Int32 = -1
        #expect(openpty(&primary, &replica, nil, nil, nil) == 0)
        defer {
            close(primary)
            close(replica)
        }
        let ptyPath = String(cString: ttyname(replica))
        let plainFile = try FramebufferFile(.packed(.rgb565, xres: 1, yres: 1))
        for consolePath in [ptyPath, plainFile.path] {
            let file = try FramebufferFile(.packed(.xrgb8888, xres: 4, yres: 2))
            let renderer = FramebufferRenderer(
                configuration: FramebufferConfiguration(source: file.source, consolePath: consolePath),
                rasterizer: ToneRasterizer())
            let warnings = try await renderer.start()
            #expect(warnings.count == 1)
            guard case .console(let error) = warnings.first else {
                Issue.record("expected a console warning, got \(warnings)")
                continue
            }
            #expect(error.code == .notAConsole)
            #expect(error.errno == ENOTTY)
            #expect(error.message.contains("KDSETMODE") && error.message.contains(consolePath))
            try await renderer.draw(Sample.screen(.idle))
            #expect(await renderer.lastFrame?.rowsWritten == 2)
            await renderer.stop()
        }
        // The console file is left as it was: KDSETMODE changed nothing in it.
        #expect(try plainFile.bytes() == [0xAB, 0xAB])
    }

    @Test func aMissingDeviceIsAWarningAndIsOpenedWhenItAppears() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fb-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("fb0").path
        let geometry = FramebufferGeometry.packed(.rgb565, xres: 3, yres: 2)
        let renderer = FramebufferRenderer(
            configuration: FramebufferConfiguration(source: .file(path: path) { geometry }, ownsConsole: false),
            rasterizer: ToneRasterizer())
        let warnings = try await renderer.start()
        #expect(warnings == [.deviceMissing(FramebufferError(code: .deviceGone))])
        await #expect(throws: FramebufferError(code: .deviceGone)) {
            try await renderer.draw(Sample.screen(.idle))
        }
        try Data(repeating: 0, count: geometry.smemLength).write(to: URL(fileURLWithPath: path))
        #expect(try await renderer.checkDevice() == true)
        #expect(await renderer.lastFrame?.rowsWritten == 2)
    }

    @Test func aBadGeometryStopsTheStartWithItsReason() async throws {
        var geometry = FramebufferGeometry.packed(.xrgb8888, xres: 10, yres: 10)
        geometry.bitsPerPixel = 12
        let file = try FramebufferFile(geometry)
        let renderer = FramebufferRenderer(
            configuration: FramebufferConfiguration(source: file.source, ownsConsole: false),
            rasterizer: ToneRasterizer())
        await #expect(throws: FramebufferError(code: .unsupportedBitsPerPixel)) { try await renderer.start() }
    }
}

/// ToneRasterizer that also checks it is asked for the rotated size.
struct RecordingRasterizer: ScreenRasterizer {
    func rasterize(_ screen: Screen, width: Int, height: Int) throws -> RasterImage {
        #expect(width == 12 && height == 20)
        return try ToneRasterizer().rasterize(screen, width: width, height: height)
    }
}

/// The crash-signal path with a real signal: the handler runs its ioctl on the saved descriptor, counts, puts the
/// previous action back and re-raises to it. SIGUSR2 stands in for SIGSEGV (whose previous action would end the
/// test process); its previous action here is "ignore".
@Suite(.serialized) struct ConsoleRestoreSignalTests {
    @Test func theHandlerRestoresOnceThenHandsTheSignalBack() throws {
        var primary: Int32 = -1
        var replica: Int32 = -1
        #expect(openpty(&primary, &replica, nil, nil, nil) == 0)
        defer {
            close(primary)
            close(replica)
        }
        signal(SIGUSR2, SIG_IGN)
        defer { signal(SIGUSR2, SIG_DFL) }
        let before = CLinuxShims_console_restore_count()
        let signals: [Int32] = [SIGUSR2]
        #expect(signals.withUnsafeBufferPointer { CLinuxShims_console_restore_arm(replica, $0.baseAddress, 1) } == 0)
        var installed = sigaction()
        sigaction(SIGUSR2, nil, &installed)
        #expect(unsafeBitCast(installed.__sigaction_handler.sa_handler, to: Int.self) != unsafeBitCast(SIG_IGN, to: Int.self))

        raiseOnAThreadThatTakesIt(SIGUSR2)
        #expect(CLinuxShims_console_restore_count() == before + 1)
        var after = sigaction()
        sigaction(SIGUSR2, nil, &after)
        #expect(unsafeBitCast(after.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self))
        // A second signal goes straight to the previous action.
        raiseOnAThreadThatTakesIt(SIGUSR2)
        #expect(CLinuxShims_console_restore_count() == before + 1)
        CLinuxShims_console_restore_disarm()
    }

    /// Test threads (the concurrency pool's) block asynchronous signals, so the signal is raised on a thread of its
    /// own with it unblocked; `raise` returns after the handler ran. (SIGSEGV/SIGBUS from a fault and SIGABRT from
    /// `abort()` are delivered whatever the mask.)
    func raiseOnAThreadThatTakesIt(_ signalNumber: Int32) {
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            var set = sigset_t()
            sigemptyset(&set)
            sigaddset(&set, signalNumber)
            pthread_sigmask(SIG_UNBLOCK, &set, nil)
            raise(signalNumber)
            done.signal()
        }
        thread.start()
        done.wait()
    }
}
