public import Display
public import Foundation
public import KioskCore
public import Logging
import SmartCard

/// One drawn frame, for observers (tests, benchmarks, metrics).
public struct DrawnFrame: Sendable {
    public var screen: Screen
    /// Reader-state event → frame written, for frames that answer a tap.
    public var tapToFrame: Duration?
    public var drawnAt: ContinuousClock.Instant
    /// For frames that answer a tap: the result code (`normal`, `unknown`, `invalidID`, `cardNotRead`, …) and where
    /// the answer came from (`online`, `snapshot`, `cannotVerify`; `nil` when nothing was resolved). No identity.
    public var result: String? = nil
    public var provenance: String? = nil
}

/// The tap path of DESIGN.md §1: reader event → card profile → identities → resolver → visit log → layout → renderer,
/// and back to idle after the hold time.
///
/// Events are handled one at a time in arrival order; the idle timer runs beside them. Every failure on the way
/// becomes a screen telling the person what to do; nothing here throws out of ``run(events:)``.
public actor TapPipeline {
    private let configuration: KioskConfiguration
    private let cardReader: any CardIdentityReader
    private let resolver: any StatusResolving
    private let visits: any VisitRecording
    private let renderer: any Renderer
    private let logger: Logger
    private let clock = ContinuousClock()
    private let hold: ScreenHold<ContinuousClock.Instant>

    private var shownAt: ContinuousClock.Instant?
    private var shownSource: String?
    /// The people on the result screen now (他人代查 tiles when more than one), oldest first.
    private var tapped: [TappedPerson] = []
    private var removedAt: ContinuousClock.Instant?
    private var outOfService = false
    private var idleTimer: Task<Void, Never>?
    private var observers: [UUID: AsyncStream<DrawnFrame>.Continuation] = [:]
    /// Since when the pipeline has been working on an event without pause (nil while idle), and how many entry
    /// points are in progress (a scan can arrive while a card is read): the watchdog's measure of a stuck tap.
    private var busySince: ContinuousClock.Instant?
    private var busyDepth = 0
    /// The wall clock (a seam for tests) and the guard against it jumping backwards.
    private let wallClock: @Sendable () -> Date
    private var steadyClock = SteadyWallClock()

    public init(
        configuration: KioskConfiguration,
        cardReader: any CardIdentityReader,
        resolver: any StatusResolving,
        visits: any VisitRecording,
        renderer: any Renderer,
        logger: Logger,
        wallClock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.wallClock = wallClock
        self.configuration = configuration
        self.cardReader = cardReader
        self.resolver = resolver
        self.visits = visits
        self.renderer = renderer
        self.logger = logger
        self.hold = ScreenHold(
            hold: .milliseconds(Int64(configuration.holdSeconds * 1000)),
            minimumHold: .milliseconds(Int64(configuration.minimumHoldSeconds * 1000)))
    }

    /// Frames as they are drawn, from now on. The stream ends when the pipeline stops.
    public func frames() -> AsyncStream<DrawnFrame> {
        let (stream, continuation) = AsyncStream.makeStream(of: DrawnFrame.self, bufferingPolicy: .bufferingNewest(64))
        let id = UUID()
        observers[id] = continuation
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            Task { await self.removeObserver(id) }
        }
        return stream
    }

    private func removeObserver(_ id: UUID) { observers[id] = nil }

    /// Draws the idle screen, then handles reader events until the sequence ends or the task is cancelled, then
    /// ``finish()``es.
    public func run<Events: AsyncSequence & Sendable>(events: Events) async where Events.Element == ReaderInput {
        await start()
        do {
            for try await event in events {
                if Task.isCancelled { break }
                await handle(event)
            }
        } catch {
            logger.error("reader event stream failed", metadata: ["kiosk.error": "\(error)"])
        }
        finish()
    }

    /// Draws the idle screen: the kiosk is ready for the first tap.
    public func start() async {
        beginWork()
        defer { endWork() }
        _ = steadyClock.time(wall: wallClock(), at: clock.now)  // the first trusted reading
        await draw(idleState, tapStartedAt: nil)
    }

    /// How long the event in progress has been running, or `nil` when the pipeline is waiting for input.
    ///
    /// The watchdog asks this (through `KioskService.livenessProblem()`): an answer at all shows the actor is not
    /// blocked, and a duration longer than any tap can take (card read, 800 ms lookup, visit append, one frame)
    /// shows a tap is stuck, e.g. on a renderer or a database that no longer returns.
    public func busyDuration() -> Duration? {
        busySince.map { clock.now - $0 }
    }

    private func beginWork() {
        if busyDepth == 0 { busySince = clock.now }
        busyDepth += 1
    }

    private func endWork() {
        busyDepth -= 1
        if busyDepth == 0 { busySince = nil }
    }

    /// While no input can take a tap (pcscd gone, no reader), the idle screen says so instead of inviting a tap.
    public func setOutOfService(_ outOfService: Bool) async {
        guard outOfService != self.outOfService else { return }
        beginWork()
        defer { endWork() }
        self.outOfService = outOfService
        if shownAt == nil { await draw(idleState, tapStartedAt: nil) }
    }

    private var idleState: DisplayState {
        outOfService ? .message(Self.outOfServiceGuidance, tone: .neutral) : .idle
    }

    static let outOfServiceGuidance = Guidance(
        zh: "读卡器暂不可用，请联系工作人员", en: "The card reader is not available. Please ask staff")

    /// Stops the idle timer and ends every ``frames()`` stream. The last frame stays on the renderer.
    public func finish() {
        idleTimer?.cancel()
        for continuation in observers.values { continuation.finish() }
        observers.removeAll()
    }

    /// Handles one PC/SC reader event (public so tests and other inputs can drive the pipeline directly).
    public func handle(_ event: ReaderInput) async {
        beginWork()
        defer { endWork() }
        switch event {
        case .cardPresent(let reader, let atr, let at):
            await tap(reader: reader, atr: atr, at: at)
        case .cardRemoved(let reader, let at):
            sourceRemoved(reader, at: at)
        case .serviceAvailable(let available):
            logger.notice("PC/SC service \(available ? "available" : "unavailable")")
        }
    }

    /// The card (or ID card on a SAM reader) shown now has left its reader: the screen may go back to idle once the
    /// minimum hold has passed.
    public func sourceRemoved(_ source: String, at: ContinuousClock.Instant) {
        guard source == shownSource, shownAt != nil, removedAt == nil else { return }
        removedAt = at
        scheduleIdle()
    }

    private func tap(reader: String, atr: [UInt8], at start: ContinuousClock.Instant) async {
        do {
            let reading = try await cardReader.read(reader: reader, atr: atr)
            await present(reading, source: reader, event: "card_tap", at: start, removable: true)
        } catch {
            await presentProblem(error, source: reader, event: "card_tap", at: start, removable: true)
        }
    }

    /// Resolves and shows identities read by any input: a card on a PC/SC reader, an ID card on a SAM reader, a
    /// scanned code. The visit is appended before the frame is drawn.
    /// - Parameters:
    ///   - source: reader name or device, for the log and for matching the later removal.
    ///   - event: `card_tap`, `id_card`, `qr_scan` (log field `kiosk.event`).
    ///   - start: when the input reported the card or the scan (tap-to-frame latency starts here).
    ///   - removable: whether a removal will be reported; a scan is not, so its screen stays for the scan hold.
    public func present(
        _ reading: CardReading, source: String, event: String, at start: ContinuousClock.Instant, removable: Bool
    ) async {
        beginWork()
        defer { endWork() }
        var log = logger
        log[metadataKey: "kiosk.reader"] = "\(source)"
        log[metadataKey: "kiosk.event"] = "\(event)"
        log[metadataKey: "kiosk.profile"] = "\(reading.profile)"
        if !reading.rejectedFields.isEmpty {
            log.notice("identity fields failed their check", metadata: ["kiosk.rejected": "\(reading.rejectedFields)"])
        }
        let state: DisplayState
        let usable = reading.identities.filter(\.isValidated)
        if usable.isEmpty {
            state = .invalidID
            log[metadataKey: "kiosk.result"] = "invalidID"
        } else {
            let now = tapTime(log)
            let (resolution, subject) = await resolver.resolve(usable, now: now)
            do {
                let id = try await visits.recordVisit(
                    venueID: configuration.venueID, at: now, subject: subject, resolution: resolution)
                log[metadataKey: "kiosk.visit"] = "\(id.uuidString.lowercased())"
            } catch {
                // The result is still shown (the person must not be stuck at the gate); the technician sees this.
                log.error("visit not recorded", metadata: ["kiosk.error": "\(error)"])
            }
            log[metadataKey: "kiosk.result"] = "\(resolution.resultCode)"
            log[metadataKey: "kiosk.provenance"] = "\(resolution.provenanceCode)"
            if case .snapshot(_, let asOf) = resolution.provenance {
                log[metadataKey: "kiosk.snapshot_age_s"] = "\(Int(now.timeIntervalSince(asOf)))"
            }
            log[metadataKey: "kiosk.subject"] = "\(subject?.key.hex ?? "-")"
            if case .unknownPerson = resolution.outcome, !reading.rejectedFields.isEmpty {
                // The card's own ID number failed its check and nothing else is known: say so, not "unknown".
                state = .invalidID
            } else {
                state = collect(TappedPerson(resolution: resolution, name: reading.displayName, identity: usable.first!))
            }
        }
        await show(state, source: source, start: start, removable: removable, log: log)
    }

    /// The time a tap is resolved and recorded at: the wall clock, except after it jumped backwards (see
    /// ``SteadyWallClock``). A jump is logged once, as a warning.
    private func tapTime(_ log: Logger) -> Date {
        let wall = wallClock()
        let (time, behind) = steadyClock.time(wall: wall, at: clock.now)
        if let behind {
            if !steadyClock.jumpReported {
                steadyClock.jumpReported = true
                log.warning(
                    "the wall clock went back: taps are timed from the kiosk's running clock until it catches up; check NTP and the RTC",
                    metadata: ["kiosk.clock.behind_s": "\(Int(behind))"])
            }
        } else if steadyClock.jumpReported {
            steadyClock.jumpReported = false
            log.notice("the wall clock caught up: taps are timed by it again")
        }
        return time
    }

    /// Shows what the person should do after a failed read or an unusable scan.
    public func presentProblem(
        _ error: any Error, source: String, event: String, at start: ContinuousClock.Instant, removable: Bool
    ) async {
        beginWork()
        defer { endWork() }
        var log = logger
        log[metadataKey: "kiosk.reader"] = "\(source)"
        log[metadataKey: "kiosk.event"] = "\(event)"
        log[metadataKey: "kiosk.error"] = "\(error)"
        let guidance: Guidance
        if let error = error as? CardError {
            log[metadataKey: "kiosk.result"] = "cardNotRead"
            guidance = error.guidance
        } else if let error = error as? any GuidanceProviding {
            log[metadataKey: "kiosk.result"] = "notUsable"
            guidance = error.guidance
        } else {
            log[metadataKey: "kiosk.result"] = "error"
            guidance = .askStaff
        }
        let state: DisplayState =
            switch error {
            case is IDCardOnPCSCReader: .idCardOnWrongReader
            case let scan as ScanNotUsable: .codeNotRecognised(scan.guidance)
            default: .cardProblem(guidance)
            }
        await show(state, source: source, start: start, removable: removable, log: log)
    }

    /// The state for a newly resolved person: alone, or with the people tapped just before (他人代查) when
    /// ``KioskConfiguration/severalPeopleWindowSeconds`` allows and their result is still on screen.
    private func collect(_ person: TappedPerson) -> DisplayState {
        let window = configuration.severalPeopleWindowSeconds
        if window > 0, let shownAt, !tapped.isEmpty, clock.now - shownAt <= .milliseconds(Int64(window * 1000)) {
            tapped.removeAll { $0.identity == person.identity }  // the same card again: its tile moves last
            tapped.append(person)
            if tapped.count > 4 { tapped.removeFirst(tapped.count - 4) }
        } else {
            tapped = [person]
        }
        return tapped.count == 1
            ? .resolved(person.resolution, name: person.name, identity: person.identity)
            : .severalPeople(tapped)
    }

    private func show(
        _ state: DisplayState, source: String, start: ContinuousClock.Instant, removable: Bool, log: Logger
    ) async {
        switch state {
        case .resolved, .severalPeople: break
        default: tapped = []  // a problem screen ends a 他人代查 series
        }
        shownSource = source
        removedAt = nil
        let latency = await draw(
            state, tapStartedAt: start, result: log[metadataKey: "kiosk.result"].map { "\($0)" },
            provenance: log[metadataKey: "kiosk.provenance"].map { "\($0)" })
        if !removable, let shownAt {
            removedAt = shownAt.advanced(by: .milliseconds(Int64(configuration.scanHoldSeconds * 1000)))
        }
        let ms = latency.map { String(format: "%.2f", $0.milliseconds) } ?? "-"
        log.info("tap shown", metadata: ["kiosk.latency_ms": "\(ms)"])
        scheduleIdle()
    }

    private func scheduleIdle() {
        guard let shownAt else { return }
        let deadline = hold.idleDeadline(shownAt: shownAt, removedAt: removedAt)
        idleTimer?.cancel()
        idleTimer = Task { [clock] in
            do {
                try await clock.sleep(until: deadline)
            } catch {
                return
            }
            await self.expire(deadline: deadline)
        }
    }

    private func expire(deadline: ContinuousClock.Instant) async {
        guard let shownAt, hold.idleDeadline(shownAt: shownAt, removedAt: removedAt) == deadline else { return }
        beginWork()
        defer { endWork() }
        self.shownAt = nil
        shownSource = nil
        removedAt = nil
        tapped = []
        await draw(idleState, tapStartedAt: nil)
    }

    /// Lays out and draws a state; returns the tap-to-frame latency when `tapStartedAt` is given.
    @discardableResult
    private func draw(
        _ state: DisplayState, tapStartedAt: ContinuousClock.Instant?, result: String? = nil, provenance: String? = nil
    ) async -> Duration? {
        let screen = Layout.screen(
            for: state, now: Date(), venue: configuration.venueName, timeZone: configuration.timeZone)
        do {
            try await renderer.draw(screen)
        } catch {
            logger.error("renderer failed", metadata: ["kiosk.error": "\(error)"])
        }
        let drawnAt = clock.now
        switch state {
        case .idle: break
        case .message where tapStartedAt == nil: break
        default: shownAt = drawnAt
        }
        let latency = tapStartedAt.map { drawnAt - $0 }
        let frame = DrawnFrame(
            screen: screen, tapToFrame: latency, drawnAt: drawnAt, result: result, provenance: provenance)
        for continuation in observers.values { continuation.yield(frame) }
        return latency
    }
}

/// Keeps tap times from going backwards when the wall clock does (an RTC reset, a wrong manual setting, an NTP step
/// back), so a snapshot that is too old stays too old and visit times never run backwards.
///
/// After the wall clock has been read once, a tap's time is the wall clock, or, when that is more than a second
/// earlier than the last trusted reading plus the monotonic time elapsed since, that floor instead. A forward jump
/// is taken as it is (an NTP correction of a slow or dead clock); a wall clock behind the snapshot at start is still
/// seen by the resolver (`clockBehindSnapshot`). The price: when the wall clock was ahead and is set back correctly,
/// offline answers may say "cannot verify" until the true time reaches the earlier reading; online answers are not
/// affected.
struct SteadyWallClock {
    private var trusted: (wall: Date, at: ContinuousClock.Instant)?
    /// Whether the current backward jump has been logged.
    var jumpReported = false

    /// The time to use for a tap, and how far the wall clock is behind it (`nil` when the wall clock is used).
    mutating func time(wall: Date, at now: ContinuousClock.Instant) -> (Date, behind: TimeInterval?) {
        guard let trusted else {
            self.trusted = (wall, now)
            return (wall, nil)
        }
        let floor = trusted.wall.addingTimeInterval((now - trusted.at).milliseconds / 1000)
        if wall.timeIntervalSince(floor) >= -1 {
            self.trusted = (wall, now)
            return (wall, nil)
        }
        return (floor, floor.timeIntervalSince(wall))
    }
}

extension Duration {
    /// Milliseconds as a Double, for logs and reports.
    public var milliseconds: Double {
        let (s, attos) = components
        return Double(s) * 1000 + Double(attos) / 1e15
    }
}
