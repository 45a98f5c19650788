public import Display

/// Framebuffer settings of ``KioskConfiguration`` (used when ``KioskConfiguration/renderer`` is `framebuffer`).
/// Keys, with units:
/// - `devicePath` (string, default `/dev/fb0`).
/// - `rotation` (degrees clockwise: 0, 90, 180 or 270; default 0): software rotation; 90/270 give a portrait
///   screen on a landscape panel.
/// - `consolePath` (string, default: the foreground VT at start, e.g. `/dev/tty1`): the VT switched to graphics mode.
/// - `ownsConsole` (bool, default `true`): switch that VT to KD_GRAPHICS while running.
/// - `deviceCheckSeconds` (double, default 2): how often the device is checked for a replaced driver
///   (simplefb → the real one) between taps.
public struct FramebufferSettings: Sendable {
    public var devicePath: String
    public var rotation: FramebufferRotation
    public var consolePath: String?
    public var ownsConsole: Bool
    public var deviceCheckSeconds: Double

    public init(
        devicePath: String = "/dev/fb0", rotation: FramebufferRotation = .none, consolePath: String? = nil,
        ownsConsole: Bool = true, deviceCheckSeconds: Double = 2
    ) {
        self.devicePath = devicePath
        self.rotation = rotation
        self.consolePath = consolePath
        self.ownsConsole = ownsConsole
        self.deviceCheckSeconds = deviceCheckSeconds
    }

    /// The renderer's configuration: the device, crash signals restoring text mode (SIGTERM is left to the graceful
    /// shutdown, which gives the console back after the last frame).
    public var rendererConfiguration: FramebufferConfiguration {
        FramebufferConfiguration(
            source: .device(path: devicePath), rotation: rotation, ownsConsole: ownsConsole, consolePath: consolePath,
            restoreSignals: VirtualConsole.crashSignals)
    }
}
