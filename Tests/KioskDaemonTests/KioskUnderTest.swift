import Display
import Foundation
import KioskCore
import KioskDaemon
import KioskTestSupport
import Logging
import Resolution
import ServiceLifecycle
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A running `KioskService` wired to the shared pcscd, a temporary snapshot with the §8.1 person in it, a temporary
/// visit log, and a terminal renderer drawing on a real pseudo-terminal.
struct KioskUnderTest {
    let harness: PCSCDHarness
    let directory: URL
    let visits: VisitLog
    let terminal: PseudoTerminal
    /// The service under test (its pipeline, health board, status line).
    let service: KioskService
    private let frames: FrameIterator

    /// What a test may change in how the kiosk is assembled, beyond its configuration.
    struct Assembly {
        /// Wraps the pseudo-terminal renderer (e.g. in one that can be made to hang).
        var wrapRenderer: @Sendable (any Renderer) -> any Renderer = { $0 }
        /// Services run after the kiosk service in the same group (e.g. the systemd notifier).
        var extraServices: @Sendable (KioskService) throws -> [any Service] = { _ in [] }
        /// Builds the log handler of the kiosk's logger (default: swift-log's standard error handler at notice).
        var logHandler: (@Sendable (String) -> any LogHandler)?
        /// Starts pcscd (and waits for its readers) before the kiosk; `false` leaves it as the test left it (stopped,
        /// for the "pcscd not running at start" case).
        var startsPCSCD = true
    }

    /// Builds the kiosk, runs `body`, then shuts the service group down gracefully and removes the files.
    static func with(
        status: String, popup: Int? = nil, configure: (inout KioskConfiguration) -> Void = { _ in },
        renderer: (any Renderer)? = nil, assembly: Assembly = Assembly(),
        _ body: (KioskUnderTest) async throws -> Void
    ) async throws {
        let people = """
            {"epoch": 3, "sequence": 7, "createdHoursAgo": 2, "people": [
              {"name": "王小测", "idNumber": "110101194605121231", "pan": "6299999900000000014",
               "status": "\(status)" \(popup.map { ", \"popup\": \($0)" } ?? ""),
               "nat": {"sampledHoursAgo": 20, "result": "negative"}, "vaccination": {"doses": 3}}]}
            """
        try await with(people: Data(people.utf8), configure: configure, renderer: renderer, assembly: assembly, body)
    }

    /// The repository's demo people file (`Tests/Fixtures/demo-people.json`).
    static let demoPeopleFile = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/demo-people.json")

    /// A kiosk whose snapshot is built from a people file (JSON, the format `kioskctl snapshot import` reads).
    /// `renderer` replaces the terminal renderer on the pseudo-terminal (e.g. a file-backed framebuffer).
    static func with(
        people: Data, configure: (inout KioskConfiguration) -> Void = { _ in }, renderer: (any Renderer)? = nil,
        assembly: Assembly = Assembly(),
        _ body: (KioskUnderTest) async throws -> Void
    ) async throws {
        let harness = try PCSCDHarness.shared()
        if assembly.startsPCSCD {
            try harness.start()
            try await harness.waitForReader(0, hasCard: false)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kiosk-e2e-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let peopleFile = directory.appendingPathComponent("people.json")
        try people.write(to: peopleFile)
        let snapshotPath = directory.appendingPathComponent("snapshot.sqlite").path
        try SnapshotImporter.importPeople(file: peopleFile, into: try SnapshotStore(path: snapshotPath))

        let terminal = try PseudoTerminal(columns: 100, rows: 32)
        defer { terminal.close() }
        var configuration = KioskConfiguration(
            snapshotPath: snapshotPath,
            visitLogPath: directory.appendingPathComponent("visits.sqlite").path,
            venueID: "test-venue", venueName: "测试 Test", holdSeconds: 30, minimumHoldSeconds: 0.05,
            ignoredReaderNames: ["00 01"])
        configure(&configuration)
        var logger = assembly.logHandler.map { Logger(label: "kiosk.e2e", factory: $0) } ?? Logger(label: "kiosk.e2e")
        if assembly.logHandler == nil { logger.logLevel = .notice }
        let service = try KioskService(
            configuration: configuration,
            renderer: assembly.wrapRenderer(
                renderer ?? TerminalDisplay(writer: TerminalWriter(fileDescriptor: terminal.replicaDescriptor))),
            logger: logger)
        let stream = await service.pipeline.frames()
        let group = ServiceGroup(
            services: service.centralServices + [service] + (try assembly.extraServices(service)), logger: logger)
        let kiosk = KioskUnderTest(
            harness: harness, directory: directory, visits: try VisitLog(path: configuration.visitLogPath),
            terminal: terminal, service: service, frames: FrameIterator(stream))

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                _ = try await kiosk.nextFrame("idle at start") { $0.screen.kind == .idle }
                try await body(kiosk)
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    /// The next drawn frame that matches, waiting at most `timeout`.
    func nextFrame(
        _ what: String, timeout: Duration = .seconds(10), sourceLocation: SourceLocation = #_sourceLocation,
        where matches: @escaping @Sendable (DrawnFrame) -> Bool
    ) async throws -> DrawnFrame {
        let frames = self.frames
        return try await withThrowingTaskGroup(of: DrawnFrame?.self) { group in
            group.addTask {
                while let frame = await frames.next() {
                    if matches(frame) { return frame }
                }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            let first = try await group.next()!
            group.cancelAll()
            guard let frame = first else {
                throw TestFailure("no '\(what)' frame within \(timeout); pcscd log:\n\(harness.logTail(lines: 15))")
            }
            return frame
        }
    }
}

extension KioskUnderTest.Assembly {
    /// Adds the real ``SystemdNotifier`` over the kiosk service, sending to `listener`: the status line every
    /// `statusInterval` when it changed, and `watchdog` pings if given. The notifier's own log is quiet.
    mutating func notify(
        _ listener: NotifyListener, watchdog: SystemdWatchdog? = nil, statusInterval: Duration = .milliseconds(100)
    ) {
        let socketPath = listener.notifySocket
        extraServices = { service in
            var logger = Logger(label: "kiosk.test.notifier")
            logger.logLevel = .critical
            return [
                SystemdNotifier(
                    socket: try SystemdNotifySocket(path: socketPath), watchdog: watchdog, health: service,
                    statusInterval: statusInterval, logger: logger)
            ]
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Records every drawn frame; `next()` hands them out in order, waiting for the next one if needed.
final class FrameIterator: Sendable {
    private let state = Mutex<(frames: [DrawnFrame], cursor: Int, finished: Bool)>(([], 0, false))

    init(_ stream: AsyncStream<DrawnFrame>) {
        Task { [self] in
            for await frame in stream { self.state.withLock { $0.frames.append(frame) } }
            self.state.withLock { $0.finished = true }
        }
    }

    /// The next frame, or `nil` once the stream has ended (or the task is cancelled).
    func next() async -> DrawnFrame? {
        while !Task.isCancelled {
            let (frame, finished) = state.withLock { s -> (DrawnFrame?, Bool) in
                guard s.cursor < s.frames.count else { return (nil, s.finished) }
                s.cursor += 1
                return (s.frames[s.cursor - 1], false)
            }
            if let frame { return frame }
            if finished { return nil }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return nil
    }
}

/// A pseudo-terminal pair (`openpty`): the renderer writes to the replica, a thread drains the primary side into a
/// buffer that tests search.
final class PseudoTerminal: Sendable {
    let primaryDescriptor: Int32
    let replicaDescriptor: Int32
    private let output = OutputBuffer()

    final class OutputBuffer: Sendable {
        let bytes = Mutex<[UInt8]>([])
    }

    init(columns: Int, rows: Int) throws {
        var primary: Int32 = -1
        var replica: Int32 = -1
        var size = winsize(ws_row: UInt16(rows), ws_col: UInt16(columns), ws_xpixel: 0, ws_ypixel: 0)
        guard openpty(&primary, &replica, nil, nil, &size) == 0 else { throw TestFailure("openpty: errno \(errno)") }
        primaryDescriptor = primary
        replicaDescriptor = replica
        let output = self.output
        let source = primary
        let reader = Thread {
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
                if n <= 0 {
                    if n < 0 && errno == EINTR { continue }
                    return
                }
                output.bytes.withLock { $0 += buffer[0..<n] }
            }
        }
        reader.start()
    }

    /// Everything written so far, as text.
    var text: String { String(decoding: output.bytes.withLock { $0 }, as: UTF8.self) }

    /// Waits until the output after `offset` characters, with ANSI sequences and white space removed, contains
    /// `needle` (also compared without white space: big titles are letter-spaced). Returns the whole output.
    @discardableResult
    func waitForText(_ needle: String, after offset: Int = 0, timeout: Duration = .seconds(5)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        let wanted = needle.filter { !$0.isWhitespace }
        while ContinuousClock.now < deadline {
            let all = text
            let tail = String(all.dropFirst(min(offset, all.count)))
            if TerminalText.plain(tail).contains(wanted) { return all }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("terminal never showed '\(needle)'; it shows:\n\(TerminalText.plain(String(text.suffix(2000))))")
    }

    func close() {
        Glibc.close(replicaDescriptor)
        Glibc.close(primaryDescriptor)
    }
}
