import CLinuxShims
import Glibc
public import KioskCore
public import Logging

/// Settings for a keyboard-wedge scanner.
public struct EvdevScannerConfiguration: Sendable, Hashable {
    /// The scanner's keyboard-country setting.
    public var layout: KeyboardLayout = .us
    public var framing: ScannerFraming = ScannerFraming()
    /// Lock state to assume when `EVIOCGLED` cannot be read (a pipe, a replay). Default: both off.
    public var assumedLocks: LockState = LockState()
    /// Grab the device (`EVIOCGRAB`) so the console and other readers never see the scan. Default true.
    public var grab: Bool = true
    /// Layouts tried for ``ScanEvent/layoutHint``; empty turns the hint off.
    public var hintLayouts: [KeyboardLayout] = KeyboardLayout.allCases

    public init(
        layout: KeyboardLayout = .us, framing: ScannerFraming = ScannerFraming(), assumedLocks: LockState = LockState(),
        grab: Bool = true, hintLayouts: [KeyboardLayout] = KeyboardLayout.allCases
    ) {
        self.layout = layout
        self.framing = framing
        self.assumedLocks = assumedLocks
        self.grab = grab
        self.hintLayouts = hintLayouts
    }
}

/// A USB HID keyboard-wedge scanner read through evdev (`/dev/input/eventN`), or any descriptor that yields the
/// same `struct input_event` byte stream (a pipe or FIFO replaying a recording).
///
/// At start: `EVIOCGNAME` for the log, `EVIOCGLED` for the initial CapsLock/NumLock, then `EVIOCGRAB` once no key
/// is held (`EVIOCGKEY` all zero; grabbing with a key down leaves it stuck for other listeners), retried every
/// 20 ms until so. On a descriptor that is not an evdev node these ioctls fail (`ENOTTY`): the source logs it and
/// goes on with ``EvdevScannerConfiguration/assumedLocks`` and no grab, so replays run the same code path.
/// `ENODEV`/`EIO` or end of file end the sequence and set the health to absent.
public final class EvdevScannerSource: ScannerSource {
    public let configuration: EvdevScannerConfiguration
    public let classifier: PayloadClassifier
    private let path: String?
    private let descriptor: CInt?
    private let core: SourceCore

    public var name: String { core.name }
    public var kind: ScanEvent.Kind { .evdev }
    public var health: InputHealth { core.health }

    /// A device node, opened by ``start()``.
    public init(
        path: String, configuration: EvdevScannerConfiguration = EvdevScannerConfiguration(),
        classifier: PayloadClassifier = PayloadClassifier(), logger: Logger = ScannerLogging.disabled,
        onHealthChange: (@Sendable (InputHealth) -> Void)? = nil
    ) {
        self.path = path
        self.descriptor = nil
        self.configuration = configuration
        self.classifier = classifier
        self.core = SourceCore(name: path, kind: .evdev, logger: logger, onHealthChange: onHealthChange)
    }

    /// An open descriptor (a pipe in tests); ``start()`` takes ownership of it. Start it once.
    public init(
        fileDescriptor: CInt, name: String, configuration: EvdevScannerConfiguration = EvdevScannerConfiguration(),
        classifier: PayloadClassifier = PayloadClassifier(), logger: Logger = ScannerLogging.disabled,
        onHealthChange: (@Sendable (InputHealth) -> Void)? = nil
    ) {
        self.path = nil
        self.descriptor = fileDescriptor
        self.configuration = configuration
        self.classifier = classifier
        self.core = SourceCore(name: name, kind: .evdev, logger: logger, onHealthChange: onHealthChange)
    }

    public func start() throws(ScannerError) -> ScanEvents {
        guard !core.isRunning else { throw .alreadyRunning }
        let fd = try core.openReadOnly(path: path, descriptor: descriptor)
        let probe = EvdevProbe(fd: fd)
        var locks = configuration.assumedLocks
        var grab = configuration.grab
        switch probe {
        case .evdev(let deviceName, let leds):
            locks = leds ?? locks
            core.logger.info(
                "scanner opened",
                metadata: [
                    "kiosk.scanner": "\(name)", "kiosk.device": "\(deviceName)", "kiosk.locks": "\(locks)",
                    "kiosk.layout": "\(configuration.layout)",
                ])
        case .notEvdev(let error):
            grab = false
            core.logger.info(
                "not an evdev device: no LED info, not grabbed",
                metadata: ["kiosk.scanner": "\(name)", "error": "\(error)", "kiosk.locks": "\(locks)"])
        }
        let decoder = WedgeScanDecoder(
            layout: configuration.layout, initialLocks: locks, framing: configuration.framing,
            classifier: classifier, hintLayouts: configuration.hintLayouts)
        let handler = EvdevHandler(decoder: decoder, core: core, classifier: classifier, wantsGrab: grab)
        return try core.run(fd: fd, handler: handler, readSize: InputEvent.size * 64)
    }

    public func stop() { core.stop() }
}

/// What the evdev ioctls say about a descriptor.
enum EvdevProbe {
    case evdev(name: String, leds: LockState?)
    case notEvdev(SystemCallError)

    init(fd: CInt) {
        var nameBuffer = [UInt8](repeating: 0, count: 256)
        do {
            try Syscall.ioctl(fd, UInt(CLinuxShims_EVIOCGNAME(256)), buffer: &nameBuffer, name: "EVIOCGNAME")
        } catch {
            self = .notEvdev(error)
            return
        }
        let deviceName = String(decoding: nameBuffer.prefix { $0 != 0 }, as: UTF8.self)
        var leds = [UInt8](repeating: 0, count: 8)
        let ok = (try? Syscall.ioctl(fd, UInt(CLinuxShims_EVIOCGLED(8)), buffer: &leds, name: "EVIOCGLED")) != nil
        self = .evdev(
            name: deviceName,
            leds: ok
                ? LockState(
                    capsLock: leds[0] & (1 << InputEvent.ledCapsLock) != 0,
                    numLock: leds[0] & (1 << InputEvent.ledNumLock) != 0) : nil)
    }

    /// Whether any key is held now (`EVIOCGKEY`); `nil` if the ioctl fails.
    static func anyKeyHeld(fd: CInt) -> Bool? {
        var keys = [UInt8](repeating: 0, count: 96)  // KEY_MAX 0x2ff → 768 bits
        let ok = (try? Syscall.ioctl(fd, UInt(CLinuxShims_EVIOCGKEY(96)), buffer: &keys, name: "EVIOCGKEY")) != nil
        return ok ? keys.contains { $0 != 0 } : nil
    }
}

struct EvdevHandler: DeviceStreamHandler {
    var decoder: WedgeScanDecoder
    let core: SourceCore
    let classifier: PayloadClassifier
    var wantsGrab: Bool
    var grabAttempts = 0
    var grabRetryAt: ContinuousClock.Instant? = nil

    var deadline: ContinuousClock.Instant? { decoder.gapDeadline }

    mutating func consume(_ bytes: UnsafeRawBufferPointer, at now: ContinuousClock.Instant) -> [ScanEvent] {
        events(decoder.consume(bytes, at: now), at: now)
    }

    mutating func deadlinePassed(at now: ContinuousClock.Instant) -> [ScanEvent] {
        events(decoder.gapTimerFired(at: now), at: now)
    }

    mutating func maintain(fd: CInt) -> Duration? {
        guard wantsGrab else { return nil }
        let now = ContinuousClock.now
        if let retryAt = grabRetryAt, now < retryAt { return retryAt - now }
        guard EvdevProbe.anyKeyHeld(fd: fd) == false else {
            grabAttempts += 1
            return .milliseconds(20)
        }
        do {
            _ = try Syscall.ioctl(fd, UInt(CLinuxShims_EVIOCGRAB()), int: 1, name: "EVIOCGRAB")
            core.logger.info(
                "scanner grabbed",
                metadata: [
                    "kiosk.scanner": "\(core.name)",
                    "kiosk.waited": "\(grabAttempts * 20) ms",
                ])
            wantsGrab = false
            return nil
        } catch {
            if grabRetryAt == nil {
                core.logger.info(
                    "scanner grab failed; retrying every second",
                    metadata: ["kiosk.scanner": "\(core.name)", "error": "\(error)"])
            }
            grabRetryAt = now + .seconds(1)
            return .seconds(1)
        }
    }

    private func events(_ scans: [WedgeScan], at now: ContinuousClock.Instant) -> [ScanEvent] {
        scans.compactMap { scan in
            switch scan {
            case .text(let text, _, let hint):
                core.event(text: text, discard: nil, layoutHint: hint, classifier: classifier, at: now)
            case .discarded(let reason):
                core.event(text: nil, discard: reason, classifier: classifier, at: now)
            }
        }
    }
}

/// Logging defaults of the Barcode module.
public enum ScannerLogging {
    /// A logger that drops everything: the default when the caller passes none.
    public static var disabled: Logger { Logger(label: "kiosk.barcode", factory: { _ in SwiftLogNoOpLogHandler() }) }
}
