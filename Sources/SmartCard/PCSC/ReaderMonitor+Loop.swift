internal import CPCSCLite
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The monitor thread's state and loop. Lives on that thread only (not Sendable); talks to the rest of the process
/// through ``MonitorCore`` (events out, stop flag in).
struct MonitorLoop {
    /// What the monitor knows about one reader.
    private struct Track {
        /// The `dwCurrentState` for the next wait: the last `dwEventState` without `SCARD_STATE_CHANGED`, including
        /// the event counter in bits 16–31; `SCARD_STATE_UNAWARE` (0) before the first answer.
        var currentState: DWORD = DWORD(SCARD_STATE_UNAWARE)
        var known = false
        var present = false
        var atr: [UInt8] = []
    }

    /// `\\?PnP?\Notification`: the pseudo-reader that changes when readers come and go (pcsc-lite, PC/SC part 5).
    static let pnpReaderName = "\\\\?PnP?\\Notification"

    private let core: MonitorCore
    private var logger: Logger { core.logger }
    private var context: PCSCContext?
    private var order: [String] = []
    private var readers: [String: Track] = [:]
    /// All readers pcscd listed, ignored ones included: the PnP reader's count.
    private var allReaderCount = 0
    private var needsList = true
    private var serviceDown = false
    private var backoff: Duration
    private var consecutiveFailures = 0

    init(core: MonitorCore) {
        self.core = core
        backoff = core.configuration.initialBackoff
    }

    private var stopping: Bool { core.stopRequested.load(ordering: .acquiring) }

    mutating func run() {
        logger.debug("reader monitor started")
        while !stopping {
            core.heartbeat.beat()
            guard let context = establishIfNeeded() else { continue }
            if needsList {
                guard relist(context) else { continue }
            }
            wait(context)
        }
        dropContext()
        logger.debug("reader monitor stopped")
    }

    // MARK: context

    private mutating func establishIfNeeded() -> PCSCContext? {
        if let context { return context }
        do {
            let context = try PCSCContext.establish()
            self.context = context
            core.currentContext.store(context.handle, ordering: .releasing)
            needsList = true
            if serviceDown {
                serviceDown = false
                logger.info("pcscd reachable again")
                core.emit(.serviceRestored)
            }
            return context
        } catch {
            serviceLost(error)
            return nil
        }
    }

    /// Forgets every reader (reporting them removed), releases the context and sleeps the backoff.
    private mutating func serviceLost(_ error: PCSCError) {
        for name in order { forget(name) }
        order = []
        allReaderCount = 0
        dropContext()
        if !serviceDown {
            serviceDown = true
            logger.info("pcscd unreachable, retrying", metadata: ["kiosk.pcsc.error": "\(error)"])
            core.emit(.serviceUnavailable(error))
        }
        core.sleep(backoff)
        backoff = min(backoff * 2, core.configuration.maximumBackoff)
    }

    private mutating func dropContext() {
        core.currentContext.store(0, ordering: .releasing)
        context?.release()
        context = nil
    }

    /// An unexpected error: sleep the backoff, and after a few in a row start over with a new context.
    private mutating func failed(_ error: PCSCError) {
        consecutiveFailures += 1
        logger.debug("reader monitor call failed", metadata: ["kiosk.pcsc.error": "\(error)"])
        if consecutiveFailures >= 5 {
            consecutiveFailures = 0
            serviceLost(error)
        } else {
            core.sleep(backoff)
            backoff = min(backoff * 2, core.configuration.maximumBackoff)
        }
    }

    // MARK: readers

    /// Lists readers and reports the difference. Returns `false` when the list failed.
    private mutating func relist(_ context: PCSCContext) -> Bool {
        let all: [String]
        do {
            all = try context.listReaders()
        } catch where error.isServiceLost {
            serviceLost(error)
            return false
        } catch {
            failed(error)
            return false
        }
        allReaderCount = all.count
        let names = all.filter { !core.configuration.ignores($0) }
        for name in order where !names.contains(name) { forget(name) }
        for name in names where readers[name] == nil {
            readers[name] = Track()
            core.emit(.readerAdded(name))
        }
        order = names
        needsList = false
        return true
    }

    /// Reports `name` gone (its card first) and stops tracking it.
    private mutating func forget(_ name: String) {
        guard let track = readers.removeValue(forKey: name) else { return }
        if track.present { core.emit(.cardRemoved(reader: name)) }
        core.emit(.readerRemoved(name))
    }

    // MARK: waiting

    private mutating func wait(_ context: PCSCContext) {
        let names = order + [Self.pnpReaderName]
        let cNames = names.map { strdup($0)! }
        defer { cNames.forEach { free($0) } }
        var states = [SCARD_READERSTATE](repeating: SCARD_READERSTATE(), count: names.count)
        for (i, name) in order.enumerated() {
            states[i].szReader = UnsafePointer(cNames[i])
            states[i].dwCurrentState = readers[name]?.currentState ?? DWORD(SCARD_STATE_UNAWARE)
        }
        // pcsc-lite ≥ 1.9.? compares the reader count in the upper 16 bits; 1.9.9 ignores it and fires on change.
        states[order.count].szReader = UnsafePointer(cNames[order.count])
        states[order.count].dwCurrentState = DWORD(allReaderCount) << 16

        core.gate.parkIfHeld { core.stopRequested.load(ordering: .acquiring) }
        if stopping { return }
        let timeout = DWORD(max(1, core.configuration.waitTimeout.milliseconds))
        core.waitsStarted.add(1, ordering: .releasing)
        let rv = states.withUnsafeMutableBufferPointer { buffer in
            SCardGetStatusChange(context.handle, timeout, buffer.baseAddress, DWORD(buffer.count))
        }
        let now = ContinuousClock.now
        if stopping { return }

        switch PCSCError(code: rv, function: "SCardGetStatusChange") {
        case _ where rv == 0:
            consecutiveFailures = 0
            backoff = core.configuration.initialBackoff
            for i in order.indices { update(order[i], with: states[i], at: now) }
            // Whether or not the PnP reader fired: pcsc-lite 1.9.9 counts readers from the start of each wait, so
            // one that arrived since this wait's start would not fire the next. One list (a round trip) per event.
            needsList = true
        case .SCARD_E_TIMEOUT:
            // The backstop for a reader that arrived just before this wait started (see ReaderMonitor).
            consecutiveFailures = 0
            backoff = core.configuration.initialBackoff
            needsList = true
        case .SCARD_E_CANCELLED:
            break  // the loop condition decides
        case .SCARD_E_UNKNOWN_READER, .SCARD_E_READER_UNAVAILABLE:
            needsList = true
        case let error where error.isServiceLost:
            serviceLost(error)
        case let error:
            failed(error)
        }
    }

    /// Applies one reader's `dwEventState` and emits what changed.
    private mutating func update(_ name: String, with state: SCARD_READERSTATE, at now: ContinuousClock.Instant) {
        guard var track = readers[name] else { return }
        let event = state.dwEventState
        if event & DWORD(SCARD_STATE_UNKNOWN | SCARD_STATE_IGNORE) != 0 {
            needsList = true  // the reader went away; relist reports it
            return
        }
        guard !track.known || event & DWORD(SCARD_STATE_CHANGED) != 0 else { return }

        let present = event & DWORD(SCARD_STATE_PRESENT) != 0 && event & DWORD(SCARD_STATE_MUTE) == 0
        let atr = withUnsafeBytes(of: state.rgbAtr) { Array($0.prefix(min(Int(state.cbAtr), Int(MAX_ATR_SIZE)))) }
        let counter = (event >> 16) & 0xFFFF
        let previousCounter = (track.currentState >> 16) & 0xFFFF
        let advanced = (counter &- previousCounter) & 0xFFFF

        if !track.known {
            if present { core.emit(.cardPresent(reader: name, atr: atr, at: now)) }
        } else {
            switch (track.present, present) {
            case (true, false):
                core.emit(.cardRemoved(reader: name))
            case (false, true):
                core.emit(.cardPresent(reader: name, atr: atr, at: now))
            case (true, true) where advanced >= 2 || atr != track.atr:
                // Removed and tapped again between two waits.
                core.emit(.cardRemoved(reader: name))
                core.emit(.cardPresent(reader: name, atr: atr, at: now))
            case (false, false) where advanced >= 2:
                logger.debug("a card came and went between two waits", metadata: ["kiosk.reader": "\(name)"])
            default:
                break
            }
        }
        track.known = true
        track.present = present
        track.atr = atr
        track.currentState = event & ~DWORD(SCARD_STATE_CHANGED)
        readers[name] = track
    }
}
