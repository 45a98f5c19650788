public import Display
public import Logging
import Resolution
public import ServiceLifecycle
import SmartCard

/// `kioskd`'s main service: the reader monitor feeding the tap pipeline, drawing on the configured renderer.
///
/// `run()` returns after a graceful shutdown (SIGTERM/SIGINT through the service group): the monitor stops, the
/// tap in flight finishes (its visit is appended and its frame drawn) and the terminal is restored.
public struct KioskService: Service {
    public let configuration: KioskConfiguration
    public let pipeline: TapPipeline
    private let monitor: ReaderMonitor
    private let cardReader: PCSCCardReader
    private let terminal: TerminalDisplay?
    private let logger: Logger

    /// Opens the snapshot and the visit log and builds the pipeline. No PC/SC call happens before `run()`.
    /// - Parameter renderer: draws instead of the configured renderer (tests draw to a pseudo-terminal).
    /// - Throws: the SQLite error when the snapshot or the visit log cannot be opened or migrated.
    public init(configuration: KioskConfiguration, renderer override: (any Renderer)? = nil, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        let snapshot = try SnapshotStore(path: configuration.snapshotPath)
        let visits = try VisitLog(path: configuration.visitLogPath)
        let resolver = Resolver(
            snapshot: snapshot,
            policy: Resolver.Policy(maximumAge: .seconds(configuration.maximumSnapshotAgeSeconds)),
            logger: logger)
        cardReader = PCSCCardReader(logger: logger)
        monitor = ReaderMonitor(
            configuration: ReaderMonitor.Configuration(ignoredReaderNameSubstrings: configuration.ignoredReaderNames),
            logger: logger)
        let renderer: any Renderer
        switch configuration.renderer {
        case _ where override != nil:
            terminal = override as? TerminalDisplay
            renderer = override!
        case .terminal:
            let display = TerminalDisplay()
            terminal = display
            renderer = display
        case .none:
            terminal = nil
            renderer = NullDisplay()
        }
        pipeline = TapPipeline(
            configuration: configuration,
            cardReader: PCSCIdentityReader(cardReader: cardReader, logger: logger),
            resolver: resolver, visits: visits, renderer: renderer, logger: logger)
    }

    public func run() async throws {
        let monitor = self.monitor
        let inputs = monitor.events.compactMap { event -> ReaderInput? in
            switch event {
            case .cardPresent(let reader, let atr, let at): .cardPresent(reader: reader, atr: atr, at: at)
            case .cardRemoved(let reader): .cardRemoved(reader: reader, at: .now)
            case .serviceUnavailable: .serviceAvailable(false)
            case .serviceRestored: .serviceAvailable(true)
            case .readerAdded, .readerRemoved: nil
            }
        }
        logger.info("kioskd serving", metadata: ["kiosk.venue": "\(configuration.venueID)"])
        await withGracefulShutdownHandler {
            monitor.start()
            await pipeline.run(events: inputs)
        } onGracefulShutdown: {
            monitor.stop()
        }
        await monitor.waitUntilStopped()
        cardReader.close()
        terminal?.restore()
        logger.info("kioskd stopped")
    }
}
