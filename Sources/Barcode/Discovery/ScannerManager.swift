import Glibc
public import KioskCore
public import Logging
import Synchronization

/// A scanner device to open: a node and how to read it.
public struct ScannerDevice: Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var kind: ScanEvent.Kind

    public init(path: String, kind: ScanEvent.Kind) {
        self.path = path
        self.kind = kind
    }

    /// Guesses the kind from the path: under `/dev/input/` → evdev, `hidraw*` or `*-hidpos` → HID POS, `tty*` or
    /// `kiosk-scanner` → serial, else evdev.
    public init(path: String) {
        let node = path.split(separator: "/").last.map(String.init) ?? path
        if path.contains("/input/") {
            self.init(path: path, kind: .evdev)
        } else if node.hasPrefix("hidraw") || node.hasSuffix("-hidpos") {
            self.init(path: path, kind: .hidPOS)
        } else if node.hasPrefix("tty") || node == "kiosk-scanner" {
            self.init(path: path, kind: .serial)
        } else {
            self.init(path: path, kind: .evdev)
        }
    }

    /// A configured device: `KIND:PATH` with `KIND` a ``ScanEvent/Kind`` raw value (`serial:/dev/pts/3` for a
    /// device whose name does not tell), or a bare path whose kind is guessed (``init(path:)``).
    public init(specification: String) {
        if let colon = specification.firstIndex(of: ":"), specification[..<colon].allSatisfy(\.isLetter),
            let kind = ScanEvent.Kind(rawValue: String(specification[..<colon]))
        {
            self.init(path: String(specification[specification.index(after: colon)...]), kind: kind)
        } else {
            self.init(path: specification)
        }
    }

    public var description: String { "\(kind.rawValue) \(path)" }
}

/// Settings for ``ScannerManager``.
public struct ScannerManagerConfiguration: Sendable {
    /// Which udev devices are scanners.
    public var matching = ScannerMatching()
    /// Enumerate with udev at start and follow hotplug. Default true.
    public var discover = true
    /// Devices opened whatever udev says (configured paths).
    public var devices: [ScannerDevice] = []
    public var evdev = EvdevScannerConfiguration()
    public var hidPOS = HIDPOSScannerConfiguration()
    public var serial = SerialScannerConfiguration()
    public var classifier = PayloadClassifier()
    /// Attempts to open a node that just appeared (udev may still be applying the rule's group: `EACCES`).
    public var openAttempts = 5
    public var openRetryDelay: Duration = .milliseconds(200)
    /// How often a configured device that is gone (unplugged, or absent at start) is looked for again. udev hotplug
    /// brings discovered devices back; a configured path has only this. Default 1 s.
    public var reopenInterval: Duration = .seconds(1)

    public init() {}
}

/// Finds scanners (udev enumerate + netlink monitor), starts and stops a source per device as they come and go,
/// merges their scans into one ``ScanEvents`` and keeps an ``InputHealth`` per device.
public final class ScannerManager: Sendable {
    private struct State {
        var sources: [String: any ScannerSource] = [:]
        var health: [String: InputHealth] = [:]
        var merged: AsyncStream<ScanEvent>.Continuation?
        var healthContinuation: AsyncStream<InputHealth>.Continuation?
        var monitor: Udev.Monitor?
        var stopped = false
    }

    public let configuration: ScannerManagerConfiguration
    private let logger: Logger
    private let state = Mutex(State())
    private let dropped = DroppedScans()

    public init(
        configuration: ScannerManagerConfiguration = ScannerManagerConfiguration(),
        logger: Logger = ScannerLogging.disabled
    ) {
        self.configuration = configuration
        self.logger = logger
    }

    /// The scanners udev knows now, per ``ScannerMatching``. Empty on a machine without any.
    public static func discover(matching: ScannerMatching = ScannerMatching()) -> [ScannerDevice] {
        Udev.enumerate().compactMap { candidate in
            matching.kind(of: candidate).map { ScannerDevice(path: candidate.devnode, kind: $0) }
        }
    }

    /// Every device udev lists in the scanner subsystems, matched or not (for `kioskctl scan --list`).
    public static func candidates() -> [ScannerCandidate] { Udev.enumerate() }

    /// Starts: opens the configured and discovered devices and follows hotplug. The sequence ends after ``stop()``
    /// or when the consumer stops iterating.
    /// - Throws: only when the udev monitor cannot be started (no netlink); configured devices that fail to open
    ///   are reported through ``health``, not thrown.
    public func start() throws(SystemCallError) -> ScanEvents {
        let (stream, continuation) = AsyncStream.makeStream(of: ScanEvent.self, bufferingPolicy: .bufferingNewest(64))
        state.withLock { $0.merged = continuation }
        continuation.onTermination = { [weak self] _ in self?.stop() }
        var devices = configuration.devices
        if configuration.discover {
            let monitor = try Udev.Monitor(logger: logger) { [weak self] action, candidate in
                self?.hotplug(action, candidate)
            }
            state.withLock { $0.monitor = monitor }
            devices += Self.discover(matching: configuration.matching).filter { d in
                !devices.contains { $0.path == d.path }
            }
        }
        logger.info("scanners", metadata: ["kiosk.scanners": "\(devices)"])
        for device in devices { open(device, attempts: 1) }
        return ScanEvents(stream: stream)
    }

    /// Stops every source and the monitor; the merged sequence ends.
    public func stop() {
        let (sources, monitor, merged, healthCont) = state.withLock { s in
            s.stopped = true
            defer {
                s.sources = [:]
                s.monitor = nil
                s.merged = nil
                s.healthContinuation = nil
            }
            return (Array(s.sources.values), s.monitor, s.merged, s.healthContinuation)
        }
        monitor?.stop()
        for source in sources { source.stop() }
        merged?.finish()
        healthCont?.finish()
    }

    /// Current health of every device seen, sorted by name.
    public var health: [InputHealth] {
        state.withLock { Array($0.health.values) }.sorted { $0.name < $1.name }
    }

    /// Health changes from now on (one consumer), after the current health of every device seen.
    ///
    /// The stream starts with the current health of every device seen so far (sorted by name), so a consumer that
    /// subscribes after ``start()`` has opened the devices still learns that they are ready.
    public func healthUpdates() -> AsyncStream<InputHealth> {
        let (stream, continuation) = AsyncStream.makeStream(of: InputHealth.self)
        state.withLock { s in
            s.healthContinuation = continuation
            // Under the lock, like ``record(_:)``: a change recorded meanwhile cannot be overtaken by this replay.
            for health in s.health.values.sorted(by: { $0.name < $1.name }) { continuation.yield(health) }
        }
        return stream
    }

    /// Whether the udev monitor is running.
    public var isMonitoring: Bool { state.withLock { $0.monitor.map { !$0.isFinished } ?? false } }

    private func hotplug(_ action: Udev.Monitor.Action, _ candidate: ScannerCandidate) {
        switch action {
        case .add:
            guard let kind = configuration.matching.kind(of: candidate) else { return }
            logger.info("scanner added", metadata: ["kiosk.scanner": "\(candidate)"])
            open(ScannerDevice(path: candidate.devnode, kind: kind), attempts: configuration.openAttempts)
        case .remove:
            let source = state.withLock { $0.sources.removeValue(forKey: candidate.devnode) }
            if let source {
                logger.info("scanner removed", metadata: ["kiosk.scanner": "\(candidate.devnode)"])
                source.stop()
            }
        case .change, .other:
            break
        }
    }

    private func makeSource(_ device: ScannerDevice) -> any ScannerSource {
        let onHealth: @Sendable (InputHealth) -> Void = { [weak self] health in self?.record(health) }
        switch device.kind {
        case .evdev:
            return EvdevScannerSource(
                path: device.path, configuration: configuration.evdev,
                classifier: configuration.classifier, logger: logger, onHealthChange: onHealth)
        case .hidPOS:
            return HIDPOSScannerSource(
                path: device.path, configuration: configuration.hidPOS,
                classifier: configuration.classifier, logger: logger, onHealthChange: onHealth)
        case .serial:
            return SerialScannerSource(
                path: device.path, configuration: configuration.serial,
                classifier: configuration.classifier, logger: logger, onHealthChange: onHealth)
        }
    }

    private func record(_ health: InputHealth) {
        state.withLock { s in
            s.health[health.name] = health
            s.healthContinuation?.yield(health)  // in order with the replay of ``healthUpdates()``
        }
    }

    private func open(_ device: ScannerDevice, attempts: Int) {
        let source = makeSource(device)
        let registered = state.withLock { s -> Bool in
            guard !s.stopped, s.sources[device.path] == nil else { return false }
            s.sources[device.path] = source
            return true
        }
        guard registered else { return }
        Task { [weak self] in
            var remaining = max(1, attempts)
            while true {
                remaining -= 1
                do throws(ScannerError) {
                    let events = try source.start()
                    await self?.forward(events, from: source)
                    self?.reopenWhenBack(device)
                    return
                } catch {
                    guard let self else { return }
                    if case .system(let e) = error, e.errno == EACCES, remaining > 0 {
                        try? await Task.sleep(for: configuration.openRetryDelay)
                        continue
                    }
                    logger.info(
                        "scanner could not be opened",
                        metadata: ["kiosk.scanner": "\(device)", "error": "\(error)"])
                    record(source.health)
                    state.withLock { s in
                        if s.sources[device.path] === source { s.sources[device.path] = nil }
                    }
                    if case .system(let e) = error, e.isDeviceGone { reopenWhenBack(device) }
                    return
                }
            }
        }
    }

    /// A configured device that ended (unplugged: end of file, `ENODEV`) or was not there: looks for its path every
    /// ``ScannerManagerConfiguration/reopenInterval`` and opens it once it exists again. Nothing for a discovered
    /// device (udev hotplug reopens those); the search ends when the manager stops or another source holds the path.
    private func reopenWhenBack(_ device: ScannerDevice) {
        guard configuration.devices.contains(device) else { return }
        let interval = configuration.reopenInterval
        Task { [weak self] in
            while true {
                try? await Task.sleep(for: interval)
                guard let self, !state.withLock({ $0.stopped || $0.sources[device.path] != nil }) else { return }
                if access(device.path, F_OK) == 0 {
                    logger.info(
                        "configured scanner present again, reopening", metadata: ["kiosk.scanner": "\(device)"])
                    open(device, attempts: configuration.openAttempts)
                    return
                }
            }
        }
    }

    private func forward(_ events: ScanEvents, from source: any ScannerSource) async {
        let merged = state.withLock { $0.merged }
        for await event in events {
            if case .dropped = merged?.yield(event) { dropped.note(scanner: source.name, logger: logger) }
        }
        state.withLock { s in
            if s.sources[source.name] === source { s.sources[source.name] = nil }
        }
        record(source.health)
    }
}
