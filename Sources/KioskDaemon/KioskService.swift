public import Display
import KioskCore
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
    /// What every input last reported about itself.
    public let health: InputHealthBoard
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
        health = InputHealthBoard(logger: logger)
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
        logger.info("kioskd serving", metadata: ["kiosk.venue": "\(configuration.venueID)"])
        await pipeline.start()
        let monitor = self.monitor
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { inputs in
                inputs.addTask { await self.servePCSC(monitor) }
            }
        } onGracefulShutdown: {
            monitor.stop()
        }
        await monitor.waitUntilStopped()
        await pipeline.finish()
        cardReader.close()
        terminal?.restore()
        logger.info("kioskd stopped")
    }

    /// PC/SC reader events → the pipeline, and reader health → the board, until the monitor stops.
    private func servePCSC(_ monitor: ReaderMonitor) async {
        monitor.start()
        for await event in monitor.events {
            switch event {
            case .cardPresent(let reader, let atr, let at):
                await pipeline.handle(.cardPresent(reader: reader, atr: atr, at: at))
            case .cardRemoved(let reader):
                await pipeline.handle(.cardRemoved(reader: reader, at: .now))
            case .readerAdded(let reader):
                await health.report(InputHealth(kind: .pcscReader, name: reader, state: .ready))
            case .readerRemoved(let reader):
                await health.report(InputHealth(kind: .pcscReader, name: reader, state: .absent))
            case .serviceUnavailable(let error):
                await health.report(InputHealth(kind: .pcscReader, name: "pcscd", state: .failing("\(error)")))
            case .serviceRestored:
                await health.report(InputHealth(kind: .pcscReader, name: "pcscd", state: .ready))
            }
        }
    }
}
