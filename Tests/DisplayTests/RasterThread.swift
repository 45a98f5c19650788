import Foundation

@testable import Display

/// Runs `body` on a thread of its own and awaits it without holding a cooperative-pool thread. Drawing is CPU work
/// (much more in a debug build); test bodies doing it inline would keep the pool's threads busy for seconds and
/// stall every other suite's tasks on a two-core machine.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let thread = Thread { continuation.resume(returning: body()) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}

/// A ``FrameRasterizer`` whose every call runs on its own thread (see ``onOwnThread(_:)``).
///
/// `@unchecked Sendable`: the rasteriser is used by one awaited call at a time, never concurrently.
final class RasterThread: @unchecked Sendable {
    private let rasterizer: FrameRasterizer

    init(fonts: FontConfiguration) throws {
        rasterizer = try FrameRasterizer(fonts: fonts)
    }

    func plan(_ screen: Screen, width: Int, height: Int) async -> FramePlan {
        await onOwnThread { self.rasterizer.plan(screen, width: width, height: height) }
    }

    func draw(_ plan: FramePlan) async -> RasterImage {
        await onOwnThread { self.rasterizer.draw(plan) }
    }

    func render(_ screen: Screen, width: Int, height: Int) async -> RasterImage {
        await onOwnThread { self.rasterizer.render(screen, width: width, height: height) }
    }
}
