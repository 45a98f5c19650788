import Foundation
import Barcode
public import Display
import KioskCore
public import Logging
public import Resolution
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
    let monitor: ReaderMonitor
    let samReader: SAMReader?
    let scanners: ScannerManager
    private let cardReader: PCSCCardReader
    private let terminal: TerminalDisplay?
    private let framebuffer: FramebufferRenderer?
    private let sound: SoundPlayer?
    let logger: Logger
    let snapshot: SnapshotStore
    let visits: VisitLog
    /// Writes each visit to ``visits``, holding it in memory while the log cannot be written (a full disk).
    let recorder: HoldingVisitRecorder
    /// The central client, when ``KioskConfiguration/central`` is set (its last answer tells online/offline).
    let centralClient: CentralClient?
    /// Requested by the health board, the visit recorder, the snapshot sync, the visit uploader and the snapshot
    /// check whenever what ``statusLine()`` shows may have changed (``KioskHealthReporting/statusChanges``).
    public let statusChanges: SyncTrigger
    /// With ``KioskConfiguration/central``: the central client, snapshot sync and visit uploader, in the order to
    /// put them in the service group *before* this service (so they stop after it). Empty for a snapshot-only
    /// kiosk.
    public let centralServices: [any Service]

    /// Opens the snapshot and the visit log and builds the pipeline. No PC/SC call happens before `run()`.
    ///
    /// A snapshot or visit log that SQLite reports damaged (`SQLITE_CORRUPT`, `SQLITE_NOTADB`) is moved aside (see
    /// ``DamagedDatabase``; never deleted), logged as an error, and replaced by a new empty file: the kiosk keeps
    /// serving (a central sync refills the snapshot; `kioskctl doctor` reports the set-aside visit log).
    ///
    /// - Parameters:
    ///   - renderer: draws instead of the configured renderer (tests draw to a pseudo-terminal).
    ///   - rasterizer: turns screens into pixels for the `framebuffer` renderer; `nil` draws with FreeType glyphs
    ///     (``GlyphScreenRasterizer``), tests may pass ``ToneRasterizer``.
    /// - Throws: ``StartupError`` when the snapshot or the visit log cannot be opened or migrated for another
    ///   reason (permissions, a full disk).
    public init(
        configuration: KioskConfiguration, renderer override: (any Renderer)? = nil,
        rasterizer: (any ScreenRasterizer)? = nil, logger: Logger
    ) throws {
        self.configuration = configuration
        self.logger = logger
        let statusChanges = SyncTrigger()
        self.statusChanges = statusChanges
        health = InputHealthBoard(logger: logger, changes: statusChanges)
        let snapshot = try Self.openSettingAsideDamage(
            what: "snapshot", path: configuration.snapshotPath, logger: logger, open: SnapshotStore.init(path:))
        let visits = try Self.openSettingAsideDamage(
            what: "visit log", path: configuration.visitLogPath, logger: logger, open: VisitLog.init(path:))
        self.snapshot = snapshot
        self.visits = visits
        recorder = HoldingVisitRecorder(log: visits, logger: logger, changes: statusChanges)
        switch Result(catching: { try snapshot.metadata() }) {
        case .success(nil):
            logger.warning(
                "no snapshot installed: offline taps will show 'cannot verify' until one is imported",
                metadata: ["kiosk.snapshot.path": "\(configuration.snapshotPath)"])
        case .success(let metadata?):
            logger.info("snapshot \(metadata)")
        case .failure(let error) where DamagedDatabase.isDamage(error):
            do {
                let moved = try snapshot.setAside()
                logger.error(
                    "the snapshot file is damaged: moved aside for the technician; offline taps say 'cannot verify' until a full snapshot is installed again",
                    metadata: ["kiosk.error": "\(error)", "kiosk.snapshot.damaged_path": "\(moved)"])
            } catch {
                throw StartupError(what: "snapshot", path: configuration.snapshotPath, cause: error)
            }
        case .failure(let error):
            throw StartupError(what: "snapshot", path: configuration.snapshotPath, cause: error)
        }
        let central = try Self.makeCentralParts(
            configuration: configuration, snapshot: snapshot, visits: visits, recorded: recorder.recorded,
            statusChanges: statusChanges, logger: logger)
        centralServices = central?.services ?? []
        centralClient = central?.client
        let resolver = Resolver(
            snapshot: snapshot, central: central?.client,
            policy: Resolver.Policy(
                maximumAge: .seconds(configuration.maximumSnapshotAgeSeconds),
                maximumServerSkew: .seconds(configuration.central?.maximumClockSkewSeconds ?? 7200)),
            logger: logger)
        cardReader = PCSCCardReader(logger: logger)
        monitor = ReaderMonitor(
            configuration: ReaderMonitor.Configuration(ignoredReaderNameSubstrings: configuration.ignoredReaderNames),
            logger: logger)
        if let path = configuration.samDevicePath {
            guard let speed = SerialSpeed(baud: configuration.samBaudRate) else {
                throw StartupError(
                    what: "SAM reader", path: path, cause: SerialError(code: .unsupportedSpeed, message: "\(configuration.samBaudRate) baud is not supported"))
            }
            samReader = SAMReader(devicePath: path, speed: speed, logger: logger)
        } else {
            samReader = nil
        }
        scanners = ScannerManager(configuration: configuration.scanners.managerConfiguration, logger: logger)
        var renderer: any Renderer
        var framebuffer: FramebufferRenderer?
        switch configuration.renderer {
        case _ where override != nil:
            terminal = override as? TerminalDisplay
            framebuffer = override as? FramebufferRenderer
            renderer = override!
        case .terminal:
            let display = TerminalDisplay()
            terminal = display
            renderer = display
        case .none:
            terminal = nil
            renderer = NullDisplay()
        case .framebuffer:
            terminal = nil
            let pixels: any ScreenRasterizer
            do { pixels = try rasterizer ?? GlyphScreenRasterizer(fonts: configuration.fonts) } catch {
                throw StartupError(what: "fonts", path: "display.fonts", cause: error)
            }
            let display = FramebufferRenderer(
                configuration: configuration.framebuffer.rendererConfiguration, rasterizer: pixels)
            framebuffer = display
            renderer = display
        case .png:
            terminal = nil
            let output = configuration.pngOutput
            renderer = try PNGRenderer(
                url: URL(fileURLWithPath: output.path), width: output.width, height: output.height,
                fonts: configuration.fonts)
        }
        self.framebuffer = framebuffer
        if configuration.sound.enabled {
            do {
                let player = try SoundPlayer(configuration: configuration.sound)
                sound = player
                renderer = SoundingRenderer(display: renderer, player: player)
            } catch {
                throw StartupError(what: "sound cues", path: "temporary directory", cause: error)
            }
        } else {
            sound = nil
        }
        pipeline = TapPipeline(
            configuration: configuration,
            cardReader: PCSCIdentityReader(cardReader: cardReader, logger: logger),
            resolver: resolver, visits: recorder,
            renderer: renderer, logger: logger)
    }

    public func run() async throws {
        logger.info("kioskd serving", metadata: ["kiosk.venue": "\(configuration.venueID)"])
        if let framebuffer {
            for warning in try await framebuffer.start() {
                logger.warning("framebuffer: \(warning)")
            }
        }
        await pipeline.start()
        checkSnapshotFileInTheBackground()
        let monitor = self.monitor
        let samReader = self.samReader
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { inputs in
                inputs.addTask { await self.servePCSC(monitor) }
                inputs.addTask { await self.serveScanners() }
                inputs.addTask { await self.flushHeldVisits() }
                inputs.addTask {
                    for await update in self.scanners.healthUpdates() { await self.health.report(update) }
                }
                if let framebuffer = self.framebuffer {
                    inputs.addTask { await self.watchFramebuffer(framebuffer) }
                }
                if let samReader {
                    inputs.addTask { await self.serveSAM(samReader) }
                    inputs.addTask {
                        for await update in samReader.healthUpdates { await self.health.report(update) }
                    }
                }
            }
        } onGracefulShutdown: {
            monitor.stop()
            samReader?.stop()
            scanners.stop()
        }
        await monitor.waitUntilStopped()
        await samReader?.waitUntilStopped()
        await pipeline.finish()
        cardReader.close()
        await sound?.stop()
        terminal?.restore()
        await framebuffer?.stop()
        logger.info("kioskd stopped")
    }

    /// Every few seconds while visits are held in memory (the visit log could not be written), tries to write them,
    /// so they reach the disk as soon as space returns even when no one taps; asleep while none are held. Until the
    /// graceful shutdown, which tries once more.
    private func flushHeldVisits() async {
        let recorder = self.recorder
        _ = try? await cancelWhenGracefulShutdown {
            while true {
                if recorder.heldCount == 0 { try await recorder.holdingStarted.wait() }
                try await Task.sleep(for: .seconds(2))
                if recorder.heldCount > 0 { recorder.flush() }
            }
        }
        if recorder.heldCount > 0, recorder.flush() > 0 {
            logger.critical(
                "kioskd stops with visits it could not write to the visit log: they are lost",
                metadata: ["kiosk.visits.held": "\(recorder.heldCount)"])
        }
    }

    /// Starts `PRAGMA quick_check` of the snapshot file on a thread of its own (it reads every page: seconds to
    /// minutes for a city-sized snapshot, while taps are served). A damaged file is moved aside for the technician
    /// (``SnapshotStore/setAside()``): offline taps say "cannot verify" instead of failing on the damaged pages, and
    /// with a central service a sync of a full snapshot starts at once.
    private func checkSnapshotFileInTheBackground() {
        let snapshot = self.snapshot
        let logger = self.logger
        let syncRequests = centralClient?.syncRequests
        let statusChanges = self.statusChanges
        let thread = Thread {
            Thread.current.name = "snapshot-check"  // from inside: names the OS thread
            let problems: [String]
            do {
                problems = try snapshot.quickCheck()
            } catch {
                logger.warning("the snapshot file could not be checked", metadata: ["kiosk.error": "\(error)"])
                return
            }
            guard !problems.isEmpty else {
                logger.debug("snapshot file checked: sound")
                return
            }
            do {
                let moved = try snapshot.setAside()
                logger.error(
                    "the snapshot file is damaged: moved aside for the technician; offline taps say 'cannot verify' until a full snapshot is installed again",
                    metadata: [
                        "kiosk.snapshot.problem": "\(problems.prefix(3).joined(separator: "; "))",
                        "kiosk.snapshot.damaged_path": "\(moved)",
                        "kiosk.snapshot.resync": "\(syncRequests != nil)",
                    ])
                syncRequests?.request()
                statusChanges.request()
            } catch {
                logger.error(
                    "the snapshot file is damaged and could not be moved aside",
                    metadata: ["kiosk.snapshot.problem": "\(problems.first ?? "")", "kiosk.error": "\(error)"])
            }
        }
        thread.start()
    }

    /// Checks the framebuffer every few seconds until the graceful shutdown: a device that went away or was replaced
    /// by its real driver is reopened and the screen redrawn without waiting for the next tap.
    private func watchFramebuffer(_ framebuffer: FramebufferRenderer) async {
        let interval = Duration.milliseconds(Int64(configuration.framebuffer.deviceCheckSeconds * 1000))
        try? await cancelWhenGracefulShutdown {
            var failing = false
            while true {
                try await Task.sleep(for: interval)
                do {
                    if try await framebuffer.checkDevice() {
                        self.logger.notice("framebuffer changed: reopened and redrawn")
                    }
                    if failing { self.logger.notice("framebuffer back") }
                    failing = false
                } catch {
                    if !failing { self.logger.warning("framebuffer unavailable", metadata: ["kiosk.error": "\(error)"]) }
                    failing = true
                }
            }
        }
    }

    /// Scans from every scanner (found by udev, or configured) → the pipeline, until the manager stops.
    private func serveScanners() async {
        let events: ScanEvents
        do {
            events = try scanners.start()
        } catch {
            logger.warning("barcode scanners unavailable", metadata: ["kiosk.error": "\(error)"])
            return
        }
        for await scan in events {
            let source = scan.source
            switch scan.payload {
            case .residentID(let identity), .printedCode(let identity):
                let reading = CardReading(identities: [identity], displayName: nil, profile: "scan-\(scan.kind.rawValue)")
                await pipeline.present(reading, source: source, event: "qr_scan", at: scan.at, removable: false)
            case .invalidResidentID(_, let reason):
                let reading = CardReading(
                    identities: [], displayName: nil, rejectedFields: ["scanned ID number: \(reason)"],
                    profile: "scan-\(scan.kind.rawValue)")
                await pipeline.present(reading, source: source, event: "qr_scan", at: scan.at, removable: false)
            default:
                await pipeline.presentProblem(
                    ScanNotUsable(payload: scan.payload), source: source, event: "qr_scan", at: scan.at,
                    removable: false)
            }
        }
    }

    /// SAM ID-card reader events → the pipeline, until the reader stops.
    private func serveSAM(_ reader: SAMReader) async {
        let source = reader.configuration.devicePath
        reader.start()
        for await event in reader.events {
            switch event {
            case .cardRead(let card, let at):
                var rejected: [String] = []
                if let problem = card.numberProblem { rejected.append("number: \(problem)") }
                let reading = CardReading(
                    identities: card.identities(), displayName: card.displayName, rejectedFields: rejected,
                    profile: "sam-\(card.layout)")
                await pipeline.present(reading, source: source, event: "id_card", at: at, removable: true)
            case .readFailed(let failure, let at):
                await pipeline.presentProblem(failure, source: source, event: "id_card", at: at, removable: true)
            case .cardRemoved(let at):
                await pipeline.sourceRemoved(source, at: at)
            case .moduleReady, .moduleLost:
                break  // health arrives through healthUpdates
            }
        }
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
                await pipeline.setOutOfService(!(await health.anyReady))
            case .serviceRestored:
                await health.report(InputHealth(kind: .pcscReader, name: "pcscd", state: .ready))
                await pipeline.setOutOfService(false)
            }
        }
    }
}

extension KioskService {
    /// Builds the central client, the snapshot sync and the visit uploader from ``KioskConfiguration/central``, and
    /// installs the shipped snapshot if none is installed yet.
    static func makeCentralParts(
        configuration: KioskConfiguration, snapshot: SnapshotStore, visits: VisitLog, recorded: SyncTrigger,
        statusChanges: SyncTrigger, logger: Logger
    ) throws -> (client: CentralClient, services: [any Service])? {
        guard let settings = configuration.central else { return nil }
        var token = settings.token ?? ""
        if let path = settings.tokenFile {
            do {
                token = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                throw StartupError(what: "central token file", path: path, cause: error)
            }
        }
        guard let publicKey = SnapshotSyncConfiguration.publicKey(base64: settings.publicKeyBase64) else {
            throw StartupError(
                what: "central public key", path: "configuration",
                cause: CentralSettingsError(reason: "not base64 of a 32-byte Ed25519 public key"))
        }
        var pinned: [UInt8]?
        if let path = settings.pinnedCertificatePath {
            guard let pem = FileManager.default.contents(atPath: path) else {
                throw StartupError(
                    what: "pinned certificate", path: path, cause: CentralSettingsError(reason: "cannot read it"))
            }
            pinned = Array(pem)
        }
        let client: CentralClient
        do {
            client = try CentralClient(
                configuration: CentralClientConfiguration(
                    baseURL: settings.baseURL, token: token, kioskID: settings.kioskID, venueID: configuration.venueID,
                    lookupDeadline: .milliseconds(settings.lookupDeadlineMilliseconds), pinnedCertificatePEM: pinned),
                logger: logger)
        } catch {
            throw StartupError(what: "pinned certificate", path: settings.pinnedCertificatePath ?? "-", cause: error)
        }
        try? FileManager.default.createDirectory(atPath: settings.stateDirectory, withIntermediateDirectories: true)
        let sync = SnapshotSync(
            client: client, store: snapshot,
            configuration: SnapshotSyncConfiguration(
                publicKey: publicKey, stateDirectory: URL(fileURLWithPath: settings.stateDirectory),
                interval: .milliseconds(Int64(settings.syncIntervalSeconds * 1000))),
            logger: logger, onChange: { statusChanges.request() })
        if let manifest = settings.initialManifestPath, let payload = settings.initialPayloadPath {
            do {
                if let installed = try sync.installInitialSnapshot(
                    manifestFile: URL(fileURLWithPath: manifest), payloadFile: URL(fileURLWithPath: payload))
                {
                    logger.notice("installed the shipped snapshot \(installed)")
                }
            } catch {
                logger.warning("the shipped snapshot was not installed", metadata: ["kiosk.error": "\(error)"])
            }
        }
        let uploader = VisitUploader(
            client: client, log: visits,
            configuration: VisitUploaderConfiguration(
                interval: .milliseconds(Int64(settings.uploadIntervalSeconds * 1000)),
                retention: .seconds(Int64(settings.visitRetentionDays * 24 * 3600))),
            logger: logger, recorded: recorded, onChange: { statusChanges.request() })
        return (client, [client, sync, uploader])
    }
}

extension KioskService {
    /// Opens a state database; a damaged one (``DamagedDatabase/isDamage(_:)``) is moved aside, logged as an error
    /// with where it went, and opened again empty.
    static func openSettingAsideDamage<Store>(
        what: String, path: String, logger: Logger, open: (String) throws -> Store
    ) throws -> Store {
        do {
            return try open(path)
        } catch where DamagedDatabase.isDamage(error) {
            let moved: String
            do { moved = try DamagedDatabase.setAside(path: path) } catch {
                throw StartupError(what: what, path: path, cause: error)
            }
            logger.error(
                "the \(what) file is damaged: moved aside for the technician and started anew\(what == "visit log" ? "; visits in it that were not uploaded are only in the moved file" : "")",
                metadata: ["kiosk.error": "\(error)", "kiosk.damaged_path": "\(moved)"])
            do { return try open(path) } catch { throw StartupError(what: what, path: path, cause: error) }
        } catch {
            throw StartupError(what: what, path: path, cause: error)
        }
    }
}

/// A ``CentralSettings`` value that cannot be used.
struct CentralSettingsError: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}

/// `kioskd` could not open one of its files; names which one.
public struct StartupError: Error, CustomStringConvertible {
    public var what: String
    public var path: String
    public var cause: any Error

    public var description: String { "cannot open the \(what) at \(path): \(cause)" }
}

/// A scan the kiosk cannot use (not recognised, EU certificate, too long); its description is masked.
struct ScanNotUsable: GuidanceProviding, CustomStringConvertible {
    var payload: ScanPayload
    var guidance: Guidance { payload.guidance ?? .codeNotRecognised }
    var description: String { "\(payload)" }
}
