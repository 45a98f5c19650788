import Foundation
import Resolution

#if canImport(Glibc)
import Glibc
#endif

/// A `kioskd` process (release build) on the private pcscd: its log in journal format (`<6>tap shown kiosk.…`)
/// collected line by line with arrival instants, its terminal renderer writing to a pseudo-terminal drained here, a
/// serial scanner on another pseudo-terminal, and `NOTIFY_SOCKET` bound here (READY=1) with the unit's watchdog
/// (`WATCHDOG_USEC`, 30 s), as under systemd.
final class KioskdUnderBench {
    let process: Process
    let log: LineLog
    let terminal: PseudoTerminal
    let scanner: PseudoTerminal
    let notify: NotifySocket
    /// When `run()` was called.
    let launchedAt: ContinuousClock.Instant

    /// - Parameters:
    ///   - arguments: kioskd options beyond the common ones (`--renderer terminal`, the scanner, log level).
    ///   - directory: where the log copy (`kioskd.log`) and the notify socket go.
    init(binary: URL, arguments: [String], pcscdSocket: String, directory: URL) throws {
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw RigError("\(binary.path) is not built (make bench builds it in Benchmarks/)")
        }
        let terminal = try PseudoTerminal(raw: false)
        terminal.drain()
        let scanner = try PseudoTerminal(raw: true)
        let notify = try NotifySocket(directory: directory)
        let process = Process()
        process.executableURL = binary
        process.arguments =
            [
                "--renderer", "terminal", "--no-scanner-discovery", "--scanner", "serial:\(scanner.slavePath)",
                "--log-level", "info",
            ] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["PCSCLITE_CSOCK_NAME"] = pcscdSocket
        environment["NOTIFY_SOCKET"] = notify.path
        environment["JOURNAL_STREAM"] = "0:0"  // journal-format lines: `<N>message key=value …`, no timestamps
        environment["TERM"] = "xterm-256color"
        environment["WATCHDOG_USEC"] = "30000000"  // systemd/kioskd.service: WatchdogSec=30s (WATCHDOG=1 every 15 s)
        environment.removeValue(forKey: "WATCHDOG_PID")
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle(fileDescriptor: terminal.slave, closeOnDealloc: false)
        let pipe = Pipe()
        process.standardError = pipe
        let log = LineLog(
            reading: pipe.fileHandleForReading.fileDescriptor, copyTo: directory.appendingPathComponent("kioskd.log").path)
        let launchedAt = ContinuousClock.now
        try process.run()
        try? pipe.fileHandleForWriting.close()
        self.process = process
        self.log = log
        self.terminal = terminal
        self.scanner = scanner
        self.notify = notify
        self.launchedAt = launchedAt
    }

    var pid: Int32 { process.processIdentifier }
    var figures: ProcessFigures { ProcessFigures(pid: pid) }

    /// Start → READY=1, or throws after `timeout`.
    func waitUntilReady(timeout: Duration = .seconds(60)) throws -> Duration {
        guard let ready = notify.wait(for: "READY=1", timeout: timeout) else {
            throw RigError("kioskd sent no READY=1 within \(timeout); log:\n\(tail())")
        }
        return ready.at - launchedAt
    }

    /// The next `tap shown` line at or after log index `from` whose fields satisfy `matches`.
    func waitForTapShown(
        from index: Int, timeout: Duration = .seconds(20), where matches: ([String: String]) -> Bool = { _ in true }
    ) -> (index: Int, line: LineLog.Line, fields: [String: String])? {
        guard
            let found = log.wait(from: index, timeout: timeout, where: { line in
                line.contains("tap shown") && matches(logFields(line))
            })
        else { return nil }
        return (found.index, found.line, logFields(found.line.text))
    }

    /// The last lines of the log (kioskd's log holds no identity: subject keys, masked results only).
    func tail(_ count: Int = 30) -> String {
        log.all().suffix(count).map(\.text).joined(separator: "\n")
    }

    var isRunning: Bool { process.isRunning }

    /// SIGTERM, then SIGKILL after 10 s; waits for the exit.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = ContinuousClock.now + .seconds(10)
        while process.isRunning, ContinuousClock.now < deadline { sleep(.milliseconds(20)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

extension KioskdUnderBench {
    /// The release `kioskd` of this build answering from a snapshot of `people` only (no centre), with its snapshot
    /// and visit log in `directory` (created), on the private pcscd at `pcscdSocket`.
    static func offline(people: URL, directory: URL, venue: String, pcscdSocket: String) throws -> KioskdUnderBench {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let snapshotPath = directory.appendingPathComponent("snapshot.sqlite").path
        try SnapshotImporter.importPeople(file: people, into: try SnapshotStore(path: snapshotPath))
        return try KioskdUnderBench(
            binary: binaryDirectory.appendingPathComponent("kioskd"),
            arguments: [
                "--snapshot", snapshotPath, "--visit-log", directory.appendingPathComponent("visits.sqlite").path,
                "--venue-name", venue,
            ],
            pcscdSocket: pcscdSocket, directory: directory)
    }

    /// The release `kioskd` of this build with its snapshot and visit log in `directory`, answering from `central`
    /// (and syncing its snapshot from it), on the private pcscd at `pcscdSocket`.
    static func online(central: CentralUnderBench, directory: URL, venue: String, pcscdSocket: String) throws -> KioskdUnderBench {
        try KioskdUnderBench(
            binary: binaryDirectory.appendingPathComponent("kioskd"),
            arguments: [
                "--snapshot", directory.appendingPathComponent("snapshot.sqlite").path,
                "--visit-log", directory.appendingPathComponent("visits.sqlite").path, "--venue-name", venue,
            ] + central.kioskdArguments,
            pcscdSocket: pcscdSocket, directory: directory)
    }
}

/// `kiosk-central` (release build) on 127.0.0.1 with the given people, a signing key and one kiosk token; can be
/// stopped and started again on the same port.
final class CentralUnderBench {
    let directory: URL
    let binary: URL
    let publicKey: String
    let token = "bench-token-1"
    let kioskID = "bench-kiosk-1"
    private(set) var port = 0
    private var process: Process?
    private var log: LineLog?

    init(binary: URL, people: URL, directory: URL) throws {
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw RigError("\(binary.path) is not built (make bench builds it in Benchmarks/)")
        }
        self.binary = binary
        self.directory = directory
        let keyOutput = try Self.run(binary, ["keygen", "--out", directory.appendingPathComponent("central.key").path])
        guard let key = keyOutput.split(separator: "\n").first.map(String.init), !key.isEmpty else {
            throw RigError("kiosk-central keygen printed no public key")
        }
        publicKey = key
        try "\(token) \(kioskID)\n".write(to: directory.appendingPathComponent("tokens"), atomically: true, encoding: .utf8)
        try "\(token)\n".write(to: tokenFile, atomically: true, encoding: .utf8)
        chmod(tokenFile.path, 0o600)
        _ = try Self.run(binary, ["import", people.path, "--database", database])
    }

    var tokenFile: URL { directory.appendingPathComponent("kiosk.token") }
    private var database: String { directory.appendingPathComponent("central.sqlite").path }
    var baseURL: String { "http://127.0.0.1:\(port)" }
    var pid: Int32? { process?.processIdentifier }

    /// kioskd's options for this centre.
    var kioskdArguments: [String] {
        ["--central-url", baseURL, "--token-file", tokenFile.path, "--kiosk-id", kioskID, "--central-public-key", publicKey]
    }

    /// Starts serving (on a free port the first time, on the same port afterwards) and waits for "listening on".
    func start() throws {
        let child = Process()
        child.executableURL = binary
        child.arguments = [
            "serve", "--database", database, "--signing-key", directory.appendingPathComponent("central.key").path,
            "--tokens", directory.appendingPathComponent("tokens").path, "--port", "\(port)",
        ]
        child.standardInput = FileHandle.nullDevice
        let pipe = Pipe()
        child.standardOutput = pipe
        child.standardError = pipe
        let lines = LineLog(reading: pipe.fileHandleForReading.fileDescriptor)
        try child.run()
        try? pipe.fileHandleForWriting.close()
        guard let listening = lines.wait(from: 0, timeout: .seconds(30), where: { $0.contains("listening on") }) else {
            child.terminate()
            throw RigError("kiosk-central did not start:\n" + lines.all().map(\.text).joined(separator: "\n"))
        }
        port = Int(listening.line.text.split(separator: ":").last ?? "") ?? 0
        process = child
        log = lines
    }

    /// SIGTERM and wait (the centre "goes away").
    func stop() {
        guard let process, process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
        self.process = nil
    }

    /// SIGSTOP / SIGCONT: the centre hangs (connections accepted by the kernel, never answered) and comes back.
    func pause() { if let pid { kill(pid, SIGSTOP) } }
    func resume() { if let pid { kill(pid, SIGCONT) } }

    /// Runs a kiosk-central command to its end; its standard output.
    private static func run(_ binary: URL, _ arguments: [String]) throws -> String {
        let child = Process()
        child.executableURL = binary
        child.arguments = arguments
        let pipe = Pipe()
        child.standardOutput = pipe
        child.standardError = FileHandle.standardError
        try child.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        child.waitUntilExit()
        guard child.terminationStatus == 0 else {
            throw RigError("kiosk-central \(arguments.first ?? "") exited with \(child.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
