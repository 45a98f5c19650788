#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Settings of ``FramebufferRenderer``.
public struct FramebufferConfiguration: Sendable {
    /// The framebuffer: `.device(path: "/dev/fb0")` by default, or a file with a given geometry (tests, previews).
    public var source: FramebufferSurface.Source
    /// Software rotation of the picture on the panel.
    public var rotation: FramebufferRotation
    /// Whether to switch a VT to KD_GRAPHICS while drawing (off for files and for panels without fbcon).
    public var ownsConsole: Bool
    /// The VT to switch (e.g. `/dev/tty1`); `nil` for the foreground VT at start.
    public var consolePath: String?
    /// Signals after which text mode is put back from a signal handler (see ``VirtualConsole``).
    public var restoreSignals: [Int32]

    public init(
        source: FramebufferSurface.Source = .device(path: "/dev/fb0"), rotation: FramebufferRotation = .none,
        ownsConsole: Bool = true, consolePath: String? = nil,
        restoreSignals: [Int32] = VirtualConsole.crashSignals
    ) {
        self.source = source
        self.rotation = rotation
        self.ownsConsole = ownsConsole
        self.consolePath = consolePath
        self.restoreSignals = restoreSignals
    }
}

/// Draws screens on a Linux framebuffer: rasterises each ``Screen`` at the panel's (rotated) size with a
/// ``ScreenRasterizer`` and presents it on a ``FramebufferSurface`` (off-screen conversion, changed rows only).
///
/// Lifecycle: ``start()`` takes the console (KD_GRAPHICS), opens the framebuffer and unblanks it; ``draw(_:)`` per
/// screen; ``checkDevice()`` now and then (a boot framebuffer replaced by the real driver is reopened and the last
/// screen redrawn without waiting for the next tap); ``stop()`` gives the console back (KD_TEXT).
///
/// An actor: drawing a frame is CPU work of a few milliseconds plus quick system calls (ioctl, mmap), done on the
/// caller's cooperative thread; nothing in it waits on I/O.
public actor FramebufferRenderer: Renderer {
    /// A problem that does not stop drawing, for the daemon to log.
    public enum Warning: Sendable, Hashable, CustomStringConvertible {
        /// The console could not be switched to graphics mode (not a VT, no permission): the cursor and kernel
        /// messages may draw over the screen.
        case console(FramebufferError)
        /// FBIOBLANK failed (some drivers cannot blank): the panel may stay dark after console blanking.
        case unblank(FramebufferError)
        /// The framebuffer device is not there (yet): every draw and ``FramebufferRenderer/checkDevice()`` tries
        /// again.
        case deviceMissing(FramebufferError)

        public var description: String {
            switch self {
            case .console(let error): "console not switched to graphics mode: \(error)"
            case .unblank(let error): "framebuffer not unblanked: \(error)"
            case .deviceMissing(let error): "framebuffer not there yet: \(error)"
            }
        }
    }

    public let configuration: FramebufferConfiguration
    private let rasterizer: any ScreenRasterizer
    private var surface: FramebufferSurface?
    private var console: VirtualConsole?
    private var lastScreen: Screen?
    /// What the last frame did (rows written, whether the device was remapped first).
    public private(set) var lastFrame: FramebufferSurface.FrameReport?

    public init(configuration: FramebufferConfiguration = FramebufferConfiguration(), rasterizer: any ScreenRasterizer) {
        self.configuration = configuration
        self.rasterizer = rasterizer
    }

    /// Takes the console, opens and maps the framebuffer, unblanks it.
    /// - Returns: the problems that do not stop drawing (console not a VT, no blanking, device not there yet).
    /// - Throws: ``FramebufferError`` when the framebuffer exists but cannot be used (bad geometry, unsupported
    ///   format, permission): the daemon should stop with that message. The console is back in text mode then.
    public func start() throws(FramebufferError) -> [Warning] {
        var warnings: [Warning] = []
        if configuration.ownsConsole {
            do {
                let console = try VirtualConsole(path: configuration.consolePath)
                self.console = console
                try console.enterGraphicsMode(restoringOn: configuration.restoreSignals)
            } catch {
                warnings.append(.console(error))
            }
        }
        do {
            surface = try FramebufferSurface(source: configuration.source, rotation: configuration.rotation)
        } catch where error.code == .deviceGone {
            warnings.append(.deviceMissing(error))
            return warnings
        } catch {
            // Nothing will be drawn: give the console back rather than leave a blank VT behind.
            stop()
            throw error
        }
        do {
            try surface?.unblank()
        } catch {
            warnings.append(.unblank(error))
        }
        return warnings
    }

    /// Rasterises `screen` at the panel's size and presents it.
    /// - Throws: ``FramebufferError`` (device gone and not back, geometry now unusable), or the rasteriser's error.
    public func draw(_ screen: Screen) throws {
        lastScreen = screen
        try drawLastScreen(surface: try openedSurface())
    }

    /// Reads the framebuffer's geometry again (reopening a device that went away) and redraws the last screen if
    /// anything changed.
    /// - Returns: whether it redrew.
    /// - Throws: as ``draw(_:)``.
    @discardableResult
    public func checkDevice() throws -> Bool {
        let hadSurface = surface != nil
        let surface = try openedSurface()
        let changed = try surface.refresh()
        guard changed || !hadSurface, lastScreen != nil else { return false }
        try? surface.unblank()
        try drawLastScreen(surface: surface)
        return true
    }

    /// Gives the console back (KD_TEXT, crash handlers disarmed) and unmaps the framebuffer.
    public func stop() {
        console?.restoreText()
        console = nil
        surface = nil
    }

    private func openedSurface() throws(FramebufferError) -> FramebufferSurface {
        if let surface { return surface }
        let opened = try FramebufferSurface(source: configuration.source, rotation: configuration.rotation)
        surface = opened
        try? opened.unblank()
        return opened
    }

    private func drawLastScreen(surface: FramebufferSurface) throws {
        guard let screen = lastScreen else { return }
        try surface.refresh()
        let (width, height) = surface.imageSize
        let image = try rasterizer.rasterize(screen, width: width, height: height)
        lastFrame = try surface.present(image)
    }
}
