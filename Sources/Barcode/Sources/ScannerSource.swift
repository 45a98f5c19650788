import Glibc
public import KioskCore
import Logging
import Synchronization

/// Scans from one scanner, or from all of them (``ScannerManager``). Ends when the device goes away or the source
/// is stopped; stopping iteration (the consuming task ends or is cancelled) closes the device.
public struct ScanEvents: AsyncSequence, Sendable {
    public typealias Element = ScanEvent
    let stream: AsyncStream<ScanEvent>

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncStream<ScanEvent>.AsyncIterator
        public mutating func next() async -> ScanEvent? { await base.next() }
        public mutating func next(isolation actor: isolated (any Actor)?) async -> ScanEvent? {
            await base.next(isolation: actor)
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: stream.makeAsyncIterator()) }
}

/// Why a scanner source could not start.
public enum ScannerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Opening or setting up the device failed (permissions: the udev rule's `GROUP=`; gone: unplugged).
    case system(SystemCallError)
    /// A hidraw device whose report descriptor has no HID POS usage page (0x8C): the scanner is in another mode.
    case notHIDPOS(path: String)
    /// ``ScannerSource/start()`` while already running.
    case alreadyRunning

    public var description: String {
        switch self {
        case .system(let e): "\(e)"
        case .notHIDPOS(let path):
            "\(path): report descriptor has no HID POS usage page 0x8C (scanner in another mode?)"
        case .alreadyRunning: "scanner source already running"
        }
    }
}

/// One scanner device: evdev keyboard wedge, hidraw HID POS or CDC serial (the `hotplug.h` seam of pcsc-lite).
public protocol ScannerSource: AnyObject, Sendable {
    /// Device path or configured label; also ``ScanEvent/source`` and ``InputHealth/name``.
    var name: String { get }
    var kind: ScanEvent.Kind { get }
    /// Current health: ``InputHealth/State/ready`` while reading, `absent` after the device went away.
    var health: InputHealth { get }
    /// Opens the device and reads it on a dedicated thread.
    func start() throws(ScannerError) -> ScanEvents
    /// Closes the device; the sequence from ``start()`` ends.
    func stop()
}

/// What every source shares: health, the reader thread, the stream.
final class SourceCore: Sendable {
    private struct State {
        var health: InputHealth
        var reader: DeviceReader?
    }

    let name: String
    let kind: ScanEvent.Kind
    let logger: Logger
    private let dropped = DroppedScans()
    private let onHealthChange: (@Sendable (InputHealth) -> Void)?
    private let state: Mutex<State>

    init(name: String, kind: ScanEvent.Kind, logger: Logger, onHealthChange: (@Sendable (InputHealth) -> Void)?) {
        self.name = name
        self.kind = kind
        self.logger = logger
        self.onHealthChange = onHealthChange
        self.state = Mutex(State(health: InputHealth(kind: kind.healthKind, name: name, state: .absent), reader: nil))
    }

    var health: InputHealth { state.withLock { $0.health } }
    var isRunning: Bool { state.withLock { $0.reader != nil } }

    /// The descriptor to read: `path` opened read-only and non-blocking, or the `descriptor` the caller handed over
    /// (a pipe in tests). A failed open sets the health (absent when the device is gone, else failing) and throws.
    func openReadOnly(path: String?, descriptor: CInt?) throws(ScannerError) -> CInt {
        guard let path else { return descriptor! }
        do {
            return try Syscall.open(path, O_RDONLY | O_NONBLOCK)
        } catch {
            setHealth(error.isDeviceGone ? .absent : .failing("\(error)"))
            throw .system(error)
        }
    }

    func setHealth(_ newState: InputHealth.State) {
        let changed = state.withLock { s -> InputHealth? in
            guard s.health.state != newState else { return nil }
            s.health = InputHealth(kind: kind.healthKind, name: name, state: newState)
            return s.health
        }
        if let changed {
            logger.debug("scanner health", metadata: ["kiosk.scanner": "\(name)", "kiosk.health": "\(changed)"])
            onHealthChange?(changed)
        }
    }

    /// Starts the reader thread on `fd` (owned from here on) with `handler`.
    func run<H: DeviceStreamHandler>(fd: CInt, handler: H, readSize: Int) throws(ScannerError) -> ScanEvents {
        let (stream, continuation) = AsyncStream.makeStream(of: ScanEvent.self, bufferingPolicy: .bufferingNewest(64))
        let reader: DeviceReader
        do {
            reader = try DeviceReader(
                fd: fd, name: name, handler: handler, readSize: readSize, logger: logger,
                emit: { [self] event in
                    if case .dropped = continuation.yield(event) { dropped.note(scanner: name, logger: logger) }
                },
                ended: { [self] end in
                    state.withLock { $0.reader = nil }
                    switch end {
                    case .stopped, .endOfFile, .gone:
                        setHealth(.absent)
                    case .failed(let error):
                        setHealth(.failing("\(error)"))
                    }
                    logger.info("scanner closed", metadata: ["kiosk.scanner": "\(name)", "kiosk.end": "\(end)"])
                    continuation.finish()
                })
        } catch {
            Syscall.close(fd)
            throw .system(error)
        }
        state.withLock { $0.reader = reader }
        continuation.onTermination = { _ in reader.stop() }
        setHealth(.ready)
        return ScanEvents(stream: stream)
    }

    func stop() {
        state.withLock { $0.reader }?.stop()
    }

    /// A framed text or discard → the event to publish (classified), or `nil` for a dropped duplicate.
    func event(
        text: String?, discard: ScanDiscard?, byteCount: Int = 0, layoutHint: KeyboardLayout? = nil,
        classifier: PayloadClassifier, at: ContinuousClock.Instant
    ) -> ScanEvent? {
        let payload: ScanPayload
        switch (text, discard) {
        case (_, .duplicate?):
            logger.debug("duplicate scan suppressed", metadata: ["kiosk.scanner": "\(name)"])
            return nil
        case (_, .tooLong(let n)?): payload = .tooLong(length: n)
        case (let text?, nil): payload = classifier.classify(text)
        case (nil, nil): payload = .undecodable(byteCount: byteCount)
        }
        let event = ScanEvent(
            payload: payload, text: ScannedText(text ?? ""), source: name, kind: kind, at: at, layoutHint: layoutHint)
        logger.debug("scan", metadata: ["kiosk.scanner": "\(name)", "kiosk.scan": "\(payload)"])
        return event
    }
}

/// Counts scans lost because the kiosk was still busy with earlier ones (a scan stream's buffer of the newest 64 was
/// full, e.g. a burst of hundreds of codes): one log entry per lost scan, at warning for the first and every 100th
/// (the technician's view of a runaway scanner), at debug for the rest. `kiosk.dropped` is the running total.
final class DroppedScans: Sendable {
    private let total = Atomic<Int>(0)

    func note(scanner: String, logger: Logger) {
        let count = total.add(1, ordering: .relaxed).newValue
        let metadata: Logger.Metadata = ["kiosk.scanner": "\(scanner)", "kiosk.dropped": "\(count)"]
        let level: Logger.Level = count == 1 || count % 100 == 0 ? .warning : .debug
        logger.log(level: level, "scan dropped: the kiosk is still busy with earlier scans", metadata: metadata)
    }
}
