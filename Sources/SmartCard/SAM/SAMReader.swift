import Foundation
public import KioskCore
public import Logging
import Synchronization

/// Reads resident ID cards (and foreigner / HK-Macau-Taiwan cards) through a GA 467 SAM module on a serial line, and
/// reports ``SAMReaderEvent``s.
///
/// The reader owns one dedicated thread that opens the device (``SerialPort``, raw 8N1 at
/// ``Configuration/speed``) and loops:
///
/// 1. every ``Configuration/pollInterval`` it sends find (`20 01`);
/// 2. on SW3 `9F` it sends select (`20 02`) and read (`30 01`), decodes the text block (``IDCardData``) and reports
///    ``SAMReaderEvent/cardRead(_:at:)``; the card is then not read again while find keeps answering `9F`;
/// 3. after ``Configuration/removalConfirmations`` find answers of `80` (no card) in a row it reports
///    ``SAMReaderEvent/cardRemoved(at:)``;
/// 4. a select or read the module refuses (`41` the card left mid-read, `81`, …) is reported once as
///    ``SAMReaderEvent/readFailed(_:at:)``; a lost or corrupt reply is retried on the next poll, and reported after
///    ``Configuration/readAttempts`` tries.
///
/// Every command waits at most ``Configuration/commandTimeout`` plus the reply's time on the wire (1 295 bytes take
/// 112 ms at 115 200 baud). Before each command, stale input is discarded (`tcflush`), so a late reply is never taken
/// for the next one. After ``Configuration/timeoutsBeforeModuleLost`` unanswered commands in a row, or when the device
/// hangs up or disappears (`EIO`, `ENOENT`: adapter unplugged), it reports ``SAMReaderEvent/moduleLost(_:)``, marks
/// ``health`` failing (or absent), closes the device and reopens it with a backoff from
/// ``Configuration/initialReopenDelay`` doubling to ``Configuration/maximumReopenDelay``, so a replugged adapter
/// (the same path, e.g. a udev symlink) is picked up again.
///
/// ```swift
/// let reader = SAMReader(configuration: .init(devicePath: "/dev/ttyUSB0"), logger: logger)
/// async let running: Void = reader.run()      // returns after cancellation, once the thread has stopped
/// for await event in reader.events { … }
/// ```
///
/// Stopping (cancelling ``run()``, calling ``stop()``, or ending iteration of ``events``) fires the port's
/// ``SerialCancellation``: a read blocked in `poll` returns at once, the thread closes the device and exits. A reader
/// runs once; make a new one to read again.
///
/// Privacy: the logger gets commands, statuses, sizes and timings only, never the card's content.
public final class SAMReader: Sendable {
    /// Reader settings.
    public struct Configuration: Sendable {
        /// The serial device: `/dev/ttyUSB0`, a udev symlink such as `/dev/kiosk-sam`, or a pty replica.
        public var devicePath: String
        /// Line speed. Default 115 200 baud.
        public var speed: SerialSpeed
        /// Pause between two find commands. Default 200 ms.
        public var pollInterval: Duration
        /// Longest wait for a reply, on top of its time on the wire. Default 500 ms.
        public var commandTimeout: Duration
        /// Unanswered commands in a row before the module counts as lost. Default 3.
        public var timeoutsBeforeModuleLost: Int
        /// Find answers of "no card" in a row before a read card counts as removed. Default 2 (one stray `80` from a
        /// card at the edge of the field does not end a tap).
        public var removalConfirmations: Int
        /// Tries (each on a later poll) before a lost or corrupt select/read reply is reported as a failed read.
        /// Default 2.
        public var readAttempts: Int
        /// First delay before reopening a lost or missing device. Default 100 ms.
        public var initialReopenDelay: Duration
        /// Delay cap while the device stays missing or silent. Default 5 s.
        public var maximumReopenDelay: Duration

        public init(
            devicePath: String,
            speed: SerialSpeed = .b115200,
            pollInterval: Duration = .milliseconds(200),
            commandTimeout: Duration = .milliseconds(500),
            timeoutsBeforeModuleLost: Int = 3,
            removalConfirmations: Int = 2,
            readAttempts: Int = 2,
            initialReopenDelay: Duration = .milliseconds(100),
            maximumReopenDelay: Duration = .seconds(5)
        ) {
            self.devicePath = devicePath
            self.speed = speed
            self.pollInterval = pollInterval
            self.commandTimeout = commandTimeout
            self.timeoutsBeforeModuleLost = max(1, timeoutsBeforeModuleLost)
            self.removalConfirmations = max(1, removalConfirmations)
            self.readAttempts = max(1, readAttempts)
            self.initialReopenDelay = initialReopenDelay
            self.maximumReopenDelay = maximumReopenDelay
        }
    }

    public let configuration: Configuration
    /// The events, in order. Single consumer; finishes when the reader has stopped. Ending iteration stops the reader.
    public var events: AsyncStream<SAMReaderEvent> { core.events }
    /// Every change of ``health``, newest kept when the consumer lags. Single consumer; finishes with the reader.
    public var healthUpdates: AsyncStream<InputHealth> { core.healthUpdates }
    /// The device's health now (kind ``InputHealth/Kind/samReader``, named by the device path): `absent` until the
    /// module first answers and while the device is missing, `ready` while it answers, `failing` when it is open
    /// but silent, refuses to open (permissions), or reports a module fault (SW3 `60`, `66`, `FF`).
    public var health: InputHealth { core.currentHealth }

    let core: SAMReaderCore

    public init(
        configuration: Configuration,
        logger: Logger = Logger(label: "kiosk.sam", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.configuration = configuration
        core = SAMReaderCore(configuration: configuration, logger: logger)
    }

    /// A reader of `devicePath` at `speed` with the other settings at their defaults.
    public convenience init(devicePath: String, speed: SerialSpeed = .b115200, logger: Logger) {
        self.init(configuration: Configuration(devicePath: devicePath, speed: speed), logger: logger)
    }

    deinit { core.stop() }

    /// Starts the reader thread if it has not run yet. Returns at once.
    public func start() { core.start() }

    /// Starts the reader (if needed) and waits until it has stopped. Cancelling the calling task stops it.
    public func run() async {
        core.start()
        await withTaskCancellationHandler {
            await core.waitUntilStopped()
        } onCancel: {
            core.stop()
        }
    }

    /// Asks the reader to stop. Returns at once; ``run()`` and ``waitUntilStopped()`` return when it has. Idempotent.
    public func stop() { core.stop() }

    /// Waits until the reader thread has exited (at once if it has, or was stopped before starting).
    public func waitUntilStopped() async { await core.waitUntilStopped() }

    /// Whether the reader thread has exited.
    public var isStopped: Bool { core.isStopped }

    /// Whether the reader thread is alive: it went round its poll loop or sent a command within `limit`, or it is
    /// not meant to be running (not started, or stopped on request). Every wait in the loop is bounded (poll
    /// interval, command timeout, reopen delay up to ``Configuration/maximumReopenDelay``), so a `limit` well above
    /// those fails only for a thread stuck in a call that never returns or gone without being asked. For the watchdog.
    public func isResponsive(within limit: Duration) -> Bool {
        if core.stopping { return true }
        switch core.phaseForHealth {
        case .idle: return true
        case .finished: return false
        case .running: return core.heartbeat.age <= limit
        }
    }
}

/// State shared by a ``SAMReader`` and its thread. The thread does not hold the public object, so dropping it stops
/// the reader.
final class SAMReaderCore: Sendable {
    private enum Phase {
        case idle, running, finished
    }

    private struct Lifecycle {
        var phase = Phase.idle
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    let configuration: SAMReader.Configuration
    let logger: Logger
    let events: AsyncStream<SAMReaderEvent>
    private let continuation: AsyncStream<SAMReaderEvent>.Continuation
    let healthUpdates: AsyncStream<InputHealth>
    private let healthContinuation: AsyncStream<InputHealth>.Continuation
    /// Wakes the thread from reads and sleeps when stopping.
    let cancellation = SerialCancellation()
    /// Beaten by the reader thread every poll round and before every command (each bounded by the command timeout).
    let heartbeat = LoopHeartbeat()
    private let lifecycle = Mutex(Lifecycle())
    private let healthBox: Mutex<InputHealth>

    init(configuration: SAMReader.Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        (events, continuation) = AsyncStream.makeStream(of: SAMReaderEvent.self, bufferingPolicy: .unbounded)
        (healthUpdates, healthContinuation) = AsyncStream.makeStream(
            of: InputHealth.self, bufferingPolicy: .bufferingNewest(16))
        let initial = InputHealth(kind: .samReader, name: configuration.devicePath, state: .absent)
        healthBox = Mutex(initial)
        healthContinuation.yield(initial)
    }

    var stopping: Bool { cancellation.isCancelled }

    enum HealthPhase { case idle, running, finished }

    var phaseForHealth: HealthPhase {
        switch lifecycle.withLock({ $0.phase }) {
        case .idle: .idle
        case .running: .running
        case .finished: .finished
        }
    }

    func start() {
        let shouldStart = lifecycle.withLock { state -> Bool in
            guard state.phase == .idle, !stopping else { return false }
            state.phase = .running
            return true
        }
        guard shouldStart else { return }
        continuation.onTermination = { [weak self] _ in self?.stop() }
        let thread = Thread { [self] in
            Thread.current.name = "sam-reader"  // from inside: names the OS thread (see ReaderMonitor)
            var loop = SAMReaderLoop(core: self)
            loop.run()
            finish()
        }
        thread.start()
    }

    func stop() {
        cancellation.cancel()
        let idle = lifecycle.withLock { $0.phase == .idle }
        if idle { finish() }
    }

    func waitUntilStopped() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let done = lifecycle.withLock { state -> Bool in
                if state.phase == .finished { return true }
                state.waiters.append(waiter)
                return false
            }
            if done { waiter.resume() }
        }
    }

    var isStopped: Bool { lifecycle.withLock { $0.phase == .finished } }

    private func finish() {
        let waiters = lifecycle.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.phase = .finished
            defer { state.waiters = [] }
            return state.waiters
        }
        continuation.finish()
        healthContinuation.finish()
        for waiter in waiters { waiter.resume() }
    }

    func emit(_ event: SAMReaderEvent) {
        logger.debug("sam event", metadata: ["kiosk.event": "\(event)"])
        continuation.yield(event)
    }

    var currentHealth: InputHealth { healthBox.withLock { $0 } }

    /// Records a health state; publishes it only when it changed.
    func setHealth(_ state: InputHealth.State) {
        let changed = healthBox.withLock { health -> InputHealth? in
            guard health.state != state else { return nil }
            health = InputHealth(kind: .samReader, name: configuration.devicePath, state: state)
            return health
        }
        if let changed {
            logger.debug("sam health", metadata: ["kiosk.health": "\(changed)"])
            healthContinuation.yield(changed)
        }
    }
}
