import Dispatch
import Foundation
public import Logging
import Synchronization

/// Watches every PC/SC reader and reports readers and cards as ``ReaderEvent``s.
///
/// The monitor owns a dedicated thread and its own PC/SC context, because pcsc-lite locks a context for the whole of
/// `SCardGetStatusChange`; card I/O must use another context (``PCSCCardReader``). The thread sleeps in
/// `SCardGetStatusChange` on all readers plus the `\\?PnP?\Notification` pseudo-reader, so a card or a reader coming
/// or going wakes it; it never polls. It re-lists readers before the next wait whenever a wait returned: on an event
/// (the PnP reader fired, a card changed) and when the wait timed out (``Configuration/waitTimeout``, 15 s).
///
/// The timeout is the backstop for one pcsc-lite 1.9.9 behaviour: the client compares the reader count with the
/// count *at the start of each wait* (it ignores the count newer versions take in the PnP reader's
/// `dwCurrentState`), so a reader that arrives between the list and the start of the next wait fires nothing. Listing
/// again after every return leaves that window at microseconds; the timeout bounds the delay if a reader lands in it.
/// The timeout also bounds each round for ``isResponsive(within:)``. Waits on an idle kiosk cost one wake-up of this
/// thread per timeout and two pcscd round trips (list, wait); a removed reader fails the next wait at once
/// (`SCARD_E_UNKNOWN_READER`), and pcscd stopping fails it at once too (the socket closes).
///
/// Each reader's `dwEventState` carries an event counter in its upper 16 bits that pcscd advances on every insertion and
/// removal. The monitor passes `dwEventState & ~SCARD_STATE_CHANGED` back as the next `dwCurrentState`, so a remove and
/// re-tap that both happen between two waits still comes back as a change: when the counter moved by 2 or more (or the
/// ATR changed) while the state is still PRESENT, it reports `cardRemoved` then `cardPresent`.
///
/// If pcscd is not running, stops, or restarts (``PCSCError/isServiceLost``), the monitor reports every reader removed
/// and ``ReaderEvent/serviceUnavailable(_:)``, releases the context and establishes a new one with backoff
/// (``Configuration/initialBackoff`` doubling to ``Configuration/maximumBackoff``). It never exits on its own.
///
/// ```swift
/// let monitor = ReaderMonitor(configuration: .init(ignoredReaderNameSubstrings: ["Yubico"]), logger: logger)
/// async let running: Void = monitor.run()      // returns after cancellation, once the thread has stopped
/// for await event in monitor.events { … }
/// ```
///
/// Stopping (cancelling ``run()``, calling ``stop()``, or ending iteration of ``events``) sends `SCardCancel` every
/// ``Configuration/cancelResendInterval`` (10 ms) until the wait returns, because pcsc-lite drops a cancel that arrives
/// before the wait has started. A monitor runs once; make a new one to monitor again.
public final class ReaderMonitor: Sendable {
    /// Monitor settings. Durations are rounded to whole milliseconds where pcsc-lite takes a `DWORD` of ms.
    public struct Configuration: Sendable {
        /// Readers whose name contains any of these substrings are ignored entirely (compare pcsc-lite's
        /// `PCSCLITE_FILTER_IGNORE_READER_NAMES`, which does the same inside pcscd). Default: none.
        public var ignoredReaderNameSubstrings: [String]
        /// Longest single `SCardGetStatusChange` wait: how late a reader that arrives just before a wait starts is
        /// noticed (see the type's documentation), and the longest round of the loop. Default 15 s; keep it well
        /// below the stall limit given to ``ReaderMonitor/isResponsive(within:)``.
        public var waitTimeout: Duration
        /// First delay before re-establishing a context with pcscd. Default 100 ms.
        public var initialBackoff: Duration
        /// Delay cap when pcscd stays unreachable. Default 2 s.
        public var maximumBackoff: Duration
        /// How often `SCardCancel` is resent while stopping. Default 10 ms.
        public var cancelResendInterval: Duration

        public init(
            ignoredReaderNameSubstrings: [String] = [],
            waitTimeout: Duration = .seconds(15),
            initialBackoff: Duration = .milliseconds(100),
            maximumBackoff: Duration = .seconds(2),
            cancelResendInterval: Duration = .milliseconds(10)
        ) {
            self.ignoredReaderNameSubstrings = ignoredReaderNameSubstrings
            self.waitTimeout = waitTimeout
            self.initialBackoff = initialBackoff
            self.maximumBackoff = maximumBackoff
            self.cancelResendInterval = cancelResendInterval
        }

        /// Whether the monitor ignores `reader`.
        public func ignores(_ reader: String) -> Bool {
            reader.hasPrefix("\\\\?PnP?") || ignoredReaderNameSubstrings.contains { !$0.isEmpty && reader.contains($0) }
        }
    }

    public let configuration: Configuration
    /// The events, in order. Single consumer; the stream finishes when the monitor has stopped. Ending iteration
    /// (breaking out, or cancelling the iterating task) stops the monitor.
    public var events: AsyncStream<ReaderEvent> { core.events }

    let core: MonitorCore

    public init(configuration: Configuration = Configuration(), logger: Logger = Logger(label: "kiosk.pcsc.monitor")) {
        self.configuration = configuration
        core = MonitorCore(configuration: configuration, logger: logger)
    }

    /// Stops the thread if it is still running.
    deinit { core.stop() }

    /// Starts the monitor thread if it has not run yet. Returns at once.
    public func start() { core.start() }

    /// Starts the monitor (if needed) and waits until it has stopped. Cancelling the calling task stops it; this
    /// returns once the thread has left `SCardGetStatusChange` (about 1–15 ms) and released its context.
    public func run() async {
        core.start()
        await withTaskCancellationHandler {
            await core.waitUntilStopped()
        } onCancel: {
            core.stop()
        }
    }

    /// Asks the monitor to stop. Returns at once; ``run()`` and ``waitUntilStopped()`` return when it has. Idempotent.
    public func stop() { core.stop() }

    /// Waits until the monitor thread has exited (or returns at once if it has, or was stopped before starting).
    public func waitUntilStopped() async { await core.waitUntilStopped() }

    /// Whether the monitor thread has exited.
    public var isStopped: Bool { core.isStopped }

    /// Whether the monitor thread is alive: it went round its loop within `limit`, or it is not meant to be running
    /// (not started yet, or stopped on request). A round takes at most ``Configuration/waitTimeout`` (15 s) plus a
    /// reader list, or the backoff (at most ``Configuration/maximumBackoff``), so a `limit` well above both (twice
    /// the wait timeout) only fails when the thread is stuck in a call that never returns (pcscd hung mid-answer),
    /// or has exited without being asked to.
    /// For the watchdog (`WATCHDOG=1` only while this holds).
    public func isResponsive(within limit: Duration) -> Bool {
        if core.stopRequested.load(ordering: .acquiring) { return true }
        switch core.phaseForHealth {
        case .idle: return true
        case .finished: return false
        case .running: return core.heartbeat.age <= limit
        }
    }
}

/// The state shared by a ``ReaderMonitor``, its loop thread and its cancel thread. Neither thread holds the public
/// object, so dropping it stops the monitor.
final class MonitorCore: Sendable {
    private enum Phase {
        case idle
        case running
        case finished
    }

    private struct Lifecycle {
        var phase = Phase.idle
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    let configuration: ReaderMonitor.Configuration
    let events: AsyncStream<ReaderEvent>
    let continuation: AsyncStream<ReaderEvent>.Continuation
    let logger: Logger
    /// Set once by ``stop()``.
    let stopRequested = Atomic<Bool>(false)
    /// The monitor context's handle while one exists (0 otherwise), for `SCardCancel` from other threads.
    let currentContext = Atomic<Int>(0)
    /// Interrupts backoff sleeps on stop.
    let wakeUp = DispatchSemaphore(value: 0)
    private let lifecycle = Mutex(Lifecycle())
    /// Test hook (`@testable`): holds the loop before its next wait.
    let gate = WaitGate()
    /// Beaten by the loop thread every round (each round waits at most ``ReaderMonitor/Configuration/waitTimeout``
    /// or sleeps at most the backoff).
    let heartbeat = LoopHeartbeat()
    /// `SCardGetStatusChange` calls started, counted just before each (tests: an idle monitor makes no more).
    let waitsStarted = Atomic<Int>(0)

    init(configuration: ReaderMonitor.Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        (events, continuation) = AsyncStream.makeStream(of: ReaderEvent.self, bufferingPolicy: .unbounded)
    }

    func start() {
        let shouldStart = lifecycle.withLock { state -> Bool in
            guard state.phase == .idle, !stopRequested.load(ordering: .acquiring) else { return false }
            state.phase = .running
            return true
        }
        guard shouldStart else { return }
        continuation.onTermination = { [weak self] _ in self?.stop() }
        let thread = Thread { [self] in
            // Named from inside: on Linux, Foundation gives the OS thread (what /proc, `top -H` and the idle
            // benchmark show) a name set on the running thread only, and only one of at most 15 bytes.
            Thread.current.name = "pcsc-monitor"
            var loop = MonitorLoop(core: self)
            loop.run()
            finish()
        }
        thread.start()
    }

    func stop() {
        guard !stopRequested.exchange(true, ordering: .acquiringAndReleasing) else { return }
        wakeUp.signal()
        let phase = lifecycle.withLock { $0.phase }
        guard phase == .running else {
            if phase == .idle { finish() }
            return
        }
        // pcsc-lite drops an SCardCancel that arrives before the wait has begun: resend until the loop is done.
        let interval = UInt32(max(1, configuration.cancelResendInterval.milliseconds) * 1000)
        let cancelThread = Thread { [self] in
            Thread.current.name = "pcsc-cancel"
            while !isStopped {
                let handle = currentContext.load(ordering: .acquiring)
                if handle != 0 { PCSCContext.cancel(handle: handle) }
                usleep(interval)
            }
        }
        cancelThread.start()
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

    enum HealthPhase { case idle, running, finished }

    var phaseForHealth: HealthPhase {
        switch lifecycle.withLock({ $0.phase }) {
        case .idle: .idle
        case .running: .running
        case .finished: .finished
        }
    }

    /// Called once: by the loop thread on exit, or by ``stop()`` before start.
    private func finish() {
        let waiters = lifecycle.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.phase = .finished
            defer { state.waiters = [] }
            return state.waiters
        }
        continuation.finish()
        for waiter in waiters { waiter.resume() }
    }

    /// Sleeps `duration`, or less if the monitor is being stopped.
    func sleep(_ duration: Duration) {
        guard !stopRequested.load(ordering: .acquiring) else { return }
        if wakeUp.wait(timeout: .now() + .milliseconds(duration.milliseconds)) == .success {
            wakeUp.signal()  // keep it signalled for any later sleep: stopping is final
        }
    }

    func emit(_ event: ReaderEvent) {
        logger.debug("reader event", metadata: ["kiosk.event": "\(event)"])
        continuation.yield(event)
    }
}

/// Lets a test hold the monitor loop between two waits, so that card changes happen while it is not waiting (the case
/// the event counter exists for). Not public API.
final class WaitGate: Sendable {
    private let held = Atomic<Bool>(false)
    private let parked = Atomic<Bool>(false)

    /// The loop stops before its next `SCardGetStatusChange` until ``release()``.
    func hold() { held.store(true, ordering: .releasing) }
    func release() { held.store(false, ordering: .releasing) }
    /// Whether the loop is stopped at the gate now.
    var isParked: Bool { parked.load(ordering: .acquiring) }

    func parkIfHeld(unless stopping: () -> Bool) {
        guard held.load(ordering: .acquiring) else { return }
        parked.store(true, ordering: .releasing)
        while held.load(ordering: .acquiring), !stopping() { usleep(5_000) }
        parked.store(false, ordering: .releasing)
    }
}

extension Duration {
    /// Whole milliseconds, rounded down, at least 0.
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        return max(0, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}
