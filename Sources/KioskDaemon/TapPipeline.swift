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
    private var shownReader: String?
    private var removedAt: ContinuousClock.Instant?
    private var idleTimer: Task<Void, Never>?
    private var observers: [UUID: AsyncStream<DrawnFrame>.Continuation] = [:]

    public init(
        configuration: KioskConfiguration,
        cardReader: any CardIdentityReader,
        resolver: any StatusResolving,
        visits: any VisitRecording,
        renderer: any Renderer,
        logger: Logger
    ) {
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

    /// Draws the idle screen, then handles reader events until the sequence ends or the task is cancelled.
    public func run<Events: AsyncSequence & Sendable>(events: Events) async where Events.Element == ReaderInput {
        await draw(.idle, tapStartedAt: nil)
        do {
            for try await event in events {
                if Task.isCancelled { break }
                await handle(event)
            }
        } catch {
            logger.error("reader event stream failed", metadata: ["kiosk.error": "\(error)"])
        }
        idleTimer?.cancel()
        for continuation in observers.values { continuation.finish() }
        observers.removeAll()
    }

    /// Handles one reader event (public so tests and other inputs can drive the pipeline directly).
    public func handle(_ event: ReaderInput) async {
        switch event {
        case .cardPresent(let reader, let atr, let at):
            await tap(reader: reader, atr: atr, at: at)
        case .cardRemoved(let reader, let at):
            guard reader == shownReader, shownAt != nil else { return }
            removedAt = at
            scheduleIdle()
        case .serviceAvailable(let available):
            logger.notice("PC/SC service \(available ? "available" : "unavailable")")
        }
    }

    private func tap(reader: String, atr: [UInt8], at start: ContinuousClock.Instant) async {
        var log = logger
        log[metadataKey: "kiosk.reader"] = "\(reader)"
        log[metadataKey: "kiosk.event"] = "card_tap"
        let state: DisplayState
        do {
            let reading = try await cardReader.read(reader: reader, atr: atr)
            log[metadataKey: "kiosk.profile"] = "\(reading.profile)"
            if !reading.rejectedFields.isEmpty {
                log.notice("card fields failed their check", metadata: ["kiosk.rejected": "\(reading.rejectedFields)"])
            }
            let usable = reading.identities.filter(\.isValidated)
            if usable.isEmpty {
                state = .invalidID
                log[metadataKey: "kiosk.result"] = "invalidID"
            } else {
                let now = Date()
                let (resolution, key) = await resolver.resolve(usable, now: now)
                try await visits.recordVisit(
                    venueID: configuration.venueID, at: now, subjectKey: key, resolution: resolution)
                log[metadataKey: "kiosk.result"] = "\(resolution.resultCode)"
                log[metadataKey: "kiosk.provenance"] = "\(resolution.provenanceCode)"
                log[metadataKey: "kiosk.subject"] = "\(key?.hex ?? "-")"
                if case .unknownPerson = resolution.outcome, !reading.rejectedFields.isEmpty {
                    // The card's own ID number failed its check and nothing else is known: say so, not "unknown".
                    state = .invalidID
                } else {
                    state = .resolved(resolution, name: reading.displayName, identity: usable.first!)
                }
            }
        } catch let error as CardError {
            log[metadataKey: "kiosk.result"] = "cardNotRead"
            log[metadataKey: "kiosk.error"] = "\(error)"
            state = .cardProblem(error.guidance)
        } catch let error as any GuidanceProviding {
            log[metadataKey: "kiosk.result"] = "error"
            log[metadataKey: "kiosk.error"] = "\(error)"
            state = .cardProblem(error.guidance)
        } catch {
            log[metadataKey: "kiosk.result"] = "error"
            log[metadataKey: "kiosk.error"] = "\(error)"
            state = .cardProblem(.askStaff)
        }
        shownReader = reader
        removedAt = nil
        let latency = await draw(state, tapStartedAt: start)
        log.info("tap shown", metadata: ["kiosk.latency_ms": "\(latency.map { String(format: "%.2f", $0.milliseconds) } ?? "-")"])
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
        self.shownAt = nil
        shownReader = nil
        removedAt = nil
        await draw(.idle, tapStartedAt: nil)
    }

    /// Lays out and draws a state; returns the tap-to-frame latency when `tapStartedAt` is given.
    @discardableResult
    private func draw(_ state: DisplayState, tapStartedAt: ContinuousClock.Instant?) async -> Duration? {
        let screen = Layout.screen(
            for: state, now: Date(), venue: configuration.venueName, timeZone: configuration.timeZone)
        do {
            try await renderer.draw(screen)
        } catch {
            logger.error("renderer failed", metadata: ["kiosk.error": "\(error)"])
        }
        let drawnAt = clock.now
        if case .idle = state {} else { shownAt = drawnAt }
        let latency = tapStartedAt.map { drawnAt - $0 }
        let frame = DrawnFrame(screen: screen, tapToFrame: latency, drawnAt: drawnAt)
        for continuation in observers.values { continuation.yield(frame) }
        return latency
    }
}

extension Duration {
    /// Milliseconds as a Double, for logs and reports.
    public var milliseconds: Double {
        let (s, attos) = components
        return Double(s) * 1000 + Double(attos) / 1e15
    }
}
