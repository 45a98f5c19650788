import Foundation
import GRDB
import Glibc
import KioskCore
import KioskTestSupport
import Synchronization
import Testing

@testable import Resolution

/// `kioskd` killed with SIGKILL (in a subprocess, repeatedly) while it appends visits and while it applies a snapshot
/// (issue 4): afterwards every visit shown on screen is in the log exactly once and reaches the centre exactly once,
/// and the snapshot is the old one or the new one, never a mix. Real parts throughout: the `kioskd` executable, a
/// serial scanner on a pseudo-terminal, SQLite files, and a central service on 127.0.0.1.
@Suite(.serialized, .kioskdSubprocessExclusive) struct KioskdKillTests {
    /// The demo people's ID numbers: scanning one is a tap that resolves, appends a visit and draws a result.
    static let scannedIDs = ["11010519491231002X", "11010119520304002X", "110108194507150017", "110105195001010020"]

    @Test func everyVisitShownBeforeAKillIsLoggedOnceAndUploadedOnce() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let snapshotPath = dir.path("snapshot.sqlite")
        let visitPath = dir.path("visits.sqlite")
        do {
            let store = try SnapshotStore(path: snapshotPath)
            try SnapshotImporter.importPeople(file: Self.demoPeopleFile, into: store, now: Date())
        }
        let scanner = try PseudoTerminalPair()
        var shown: [String] = []
        var rng = SystemRandomNumberGenerator()
        for round in 0..<4 {
            let kioskd = try KioskdProcess(arguments: [
                "--snapshot", snapshotPath, "--visit-log", visitPath, "--renderer", "terminal",
                "--no-scanner-discovery", "--scanner", "serial:\(scanner.slavePath)", "--hold", "1", "--min-hold", "0",
            ])
            let target = shown.count + Int.random(in: 1...6, using: &rng)
            // Scan codes until `target` results have been shown, then kill at once, mid-stream.
            var n = 0
            let killed = try await kioskd.untilKilled(after: .seconds(30)) {
                kioskd.lines(containing: "tap shown").count >= target - shown.count
            } while: {
                scanner.write(Self.scannedIDs[n % Self.scannedIDs.count] + "\r\n")
                n += 1
                try await Task.sleep(for: .milliseconds(Int.random(in: 5...40)))
            }
            #expect(killed, "round \(round): kioskd showed \(kioskd.lines(containing: "tap shown").count) results")
            let thisRound = kioskd.lines(containing: "tap shown").compactMap { Self.field("kiosk.visit", in: $0) }
            shown += thisRound
            let logged = try Self.loggedVisitIDs(visitPath)
            #expect(Set(logged).count == logged.count, "round \(round): a visit is in the log twice")
            #expect(Set(shown).isSubset(of: Set(logged)), "round \(round): a visit shown on screen is not in the log")
            // At most the one visit being shown when the kill landed is in the log without its "shown" line.
            #expect(logged.count - shown.count <= round + 1, "round \(round): \(logged.count) logged, \(shown.count) shown")
        }
        #expect(shown.count >= 4)
        print("kioskd kill test: 4 kills mid-scan-stream, \(shown.count) results shown, \(try Self.loggedVisitIDs(visitPath).count) visits logged")

        // Restart with the centre: everything in the log is uploaded, once; a kill mid-upload and another restart
        // send nothing twice to the centre's store.
        let central = FakeCentral()
        let publisher = TestPublisher()
        let token = try dir.write(FakeCentral.token, to: "token")
        let logged = Set(try Self.loggedVisitIDs(visitPath))
        try await central.run { baseURL in
            let arguments = [
                "--snapshot", snapshotPath, "--visit-log", visitPath, "--renderer", "none", "--no-scanner-discovery",
                "--central-url", baseURL, "--token-file", token.path, "--kiosk-id", "kiosk-kill-test",
                "--central-public-key", publisher.publicKeyBase64,
            ]
            for attempt in 0..<2 {
                let kioskd = try KioskdProcess(arguments: arguments)
                let done = try await kioskd.untilKilled(after: .seconds(30)) {
                    attempt == 0
                        ? central.read(\.visitPosts) >= 1
                        : central.read(\.visits).count == logged.count
                            && (try? VisitLog(path: visitPath).pendingCount()) == 0
                } while: {
                    try await Task.sleep(for: .milliseconds(Int.random(in: 1...30)))
                }
                #expect(done, "attempt \(attempt): the centre has \(central.read(\.visits).count) of \(logged.count)")
            }
            let received = central.read { Set($0.visits.keys.map { $0.lowercased() }) }
            #expect(received == logged, "the centre holds exactly the logged visits")
        }
        _ = scanner
    }

    @Test func aSnapshotApplyKilledAtAnyPointLeavesTheOldOrTheNewSnapshot() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let snapshotPath = dir.path("snapshot.sqlite")
        let oldKey = EpochKey(epoch: 6, bytes: Array(repeating: 0x11, count: 32))
        let newKey = EpochKey(epoch: 7, bytes: Array(repeating: 0x22, count: 32))
        let oldKeys = (0..<100).map { SubjectKey(kind: .residentID, normalisedValue: "old-\($0)", epochKey: oldKey) }
        let newCount = 150_000
        var rng = SystemRandomNumberGenerator()
        let newEntries = (0..<newCount).map { _ in
            SnapshotPayloadEntry(
                key: SubjectKey(bytes: (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) })!,
                change: .upsert(StatusRecord(status: .homeObservation, updatedAt: Demo.createdAt)))
        }
        let central = FakeCentral()
        let publisher = TestPublisher()
        let full = try TestPublisher.payload(
            kind: .full, epoch: newKey.epoch, sequence: 9, createdAt: Date().addingTimeInterval(-60), entries: newEntries)
        try publisher.publish(
            on: central, epochKey: newKey, sequence: 9, createdAt: Date().addingTimeInterval(-60), full: full,
            records: newCount)
        let probeNew = newEntries[newCount / 2].key
        let token = try dir.write(FakeCentral.token, to: "token")

        @Sendable func installOld() throws {
            let store = try SnapshotStore(path: snapshotPath)
            try store.replaceAll(
                records: oldKeys.map { SnapshotEntry(subjectKey: $0, record: Demo.record(.normal)) },
                metadata: SnapshotMetadata(
                    epochKey: oldKey, sequence: 3, createdAt: Date().addingTimeInterval(-3600), source: "old"))
        }
        try installOld()
        let (round, killedMidApply) = try await central.run { baseURL in
            var rng = SystemRandomNumberGenerator()
            var killedMidApply = 0
            var round = 0
            while round < 10 && killedMidApply < 2 {
                round += 1
                let kioskd = try KioskdProcess(arguments: [
                    "--snapshot", snapshotPath, "--visit-log", dir.path("visits.sqlite"), "--renderer", "none",
                    "--no-scanner-discovery", "--central-url", baseURL, "--token-file", token.path,
                    "--kiosk-id", "kiosk-kill-test", "--central-public-key", publisher.publicKeyBase64,
                ])
                let delay = Duration.milliseconds(Int.random(in: 0...400, using: &rng))
                var startedAt: ContinuousClock.Instant?
                let killed = try await kioskd.untilKilled(after: .seconds(20)) {
                    if startedAt == nil, !kioskd.lines(containing: "installing snapshot payload").isEmpty {
                        startedAt = .now
                    }
                    return startedAt.map { ContinuousClock.now - $0 >= delay } ?? false
                } while: {
                    try await Task.sleep(for: .milliseconds(2))
                }
                #expect(killed, "round \(round): the install never started")
                let installedBeforeKill = !kioskd.lines(containing: "snapshot installed").isEmpty

                // Old or new, whole: metadata, row count and content agree, and the file is sound.
                let store = try SnapshotStore(path: snapshotPath)
                let metadata = try #require(try store.metadata())
                let (rows, integrity) = try await DatabaseQueue(path: snapshotPath).read { db in
                    (try Int.fetchOne(db, sql: "SELECT (SELECT COUNT(*) FROM snapshot_row) + (SELECT COUNT(*) FROM snapshot_row_overflow)") ?? -1,
                     try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "")
                }
                #expect(integrity == "ok", "round \(round)")
                switch metadata.sequence {
                case 3:
                    #expect(rows == 100 && metadata.recordCount == 100 && metadata.epochKey == oldKey, "round \(round)")
                    #expect(try store.status(for: [oldKeys[42]]) != nil)
                    #expect(!installedBeforeKill, "round \(round): the log says installed, the file says old")
                    killedMidApply += 1
                case 9:
                    #expect(rows == newCount && metadata.recordCount == newCount && metadata.epochKey == newKey)
                    #expect(try store.status(for: [probeNew])?.1.status == .homeObservation)
                    #expect(try store.status(for: [oldKeys[42]]) == nil)
                    try installOld()  // so the next round has an install to interrupt
                default:
                    Issue.record("round \(round): sequence \(metadata.sequence) is neither the old nor the new one")
                }
            }
            return (round, killedMidApply)
        }
        #expect(killedMidApply >= 1, "no kill landed during an apply in \(round) rounds")
        print("kioskd kill test: \(round) kills during snapshot installs, \(killedMidApply) of them mid-apply (old snapshot intact)")
    }

    // MARK: - Helpers

    static var demoPeopleFile: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/demo-people.json")
    }

    static func field(_ name: String, in line: String) -> String? {
        guard let range = line.range(of: name + "=") else { return nil }
        return String(line[range.upperBound...].prefix { !$0.isWhitespace })
    }

    static func loggedVisitIDs(_ path: String) throws -> [String] {
        try DatabaseQueue(path: path).read { db in
            try Data.fetchAll(db, sql: "SELECT id FROM visit").map { data in
                let b = Array(data)
                return UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15])).uuidString.lowercased()
            }
        }
    }
}

/// A `kioskd` subprocess of the build under test: stdout discarded, stderr (the log) captured line by line. It never
/// talks to a PC/SC service (the socket it is given does not exist).
final class KioskdProcess: Sendable {
    private let process: Process
    private final class Captured: Sendable {
        let state = Mutex<(lines: [String], partial: String)>(([], ""))
        func withLock<T>(_ body: (inout (lines: [String], partial: String)) -> T) -> T { state.withLock { body(&$0) } }
    }
    private let captured = Captured()
    private final class ScreenBuffer: Sendable {
        let bytes = Mutex<[UInt8]>([])
    }
    private let screenBuffer = ScreenBuffer()

    /// - Parameters:
    ///   - environment: added to the test's environment (e.g. `KIOSKD_CENTRAL_UPLOAD_INTERVAL_SECONDS`).
    ///   - captureScreen: keep what the terminal renderer writes to standard output (``screen``).
    init(arguments: [String], environment extra: [String: String] = [:], captureScreen: Bool = false) throws {
        let binary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("kioskd")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw KioskdNotBuilt(path: binary.path)
        }
        process = Process()
        process.executableURL = binary
        process.arguments = arguments + ["--log-level", ProcessInfo.processInfo.environment["KIOSKD_TEST_LOG_LEVEL"] ?? "info"]
        var environment = ProcessInfo.processInfo.environment
        environment["PCSCLITE_CSOCK_NAME"] = "/nonexistent/kioskd-kill-test.comm"
        environment["TERM"] = "xterm-256color"
        environment["KIOSKD_TEST_LOG_LEVEL"] = nil  // the test's, not a kioskd key (kioskd refuses unknown KIOSKD_*)
        environment.merge(extra) { _, new in new }
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        if captureScreen {
            let out = Pipe()
            process.standardOutput = out
            out.fileHandleForReading.readabilityHandler = { [screenBuffer] handle in
                let data = handle.availableData
                if !data.isEmpty { screenBuffer.bytes.withLock { $0 += data } }
            }
        }
        process.standardInput = FileHandle.nullDevice
        let pipe = Pipe()
        process.standardError = pipe
        pipe.fileHandleForReading.readabilityHandler = { [captured] handle in
            let data = handle.availableData
            guard !data.isEmpty else { return }
            captured.withLock { state in
                state.partial += String(decoding: data, as: UTF8.self)
                while let newline = state.partial.firstIndex(of: "\n") {
                    state.lines.append(String(state.partial[..<newline]))
                    state.partial.removeSubrange(...newline)
                }
            }
        }
        try process.run()
    }

    func lines(containing text: String) -> [String] { captured.withLock { $0.lines.filter { $0.contains(text) } } }

    /// Every log line so far.
    var allLines: [String] { captured.withLock { $0.lines } }

    /// What the terminal renderer wrote (with `captureScreen`), escape sequences and white space removed.
    var screen: String { TerminalText.plain(String(decoding: screenBuffer.bytes.withLock { $0 }, as: UTF8.self)) }

    /// The screen output so far, in bytes (an offset for ``screen(after:)``).
    var screenByteCount: Int { screenBuffer.bytes.withLock { $0.count } }

    /// The screen output after `offset` bytes, plain (see ``screen``).
    func screen(after offset: Int) -> String {
        TerminalText.plain(String(decoding: screenBuffer.bytes.withLock { Array($0.dropFirst(offset)) }, as: UTF8.self))
    }

    var isRunning: Bool { process.isRunning }

    /// Waits (without blocking a thread) until a log line contains `text`; false after `limit` or when the process
    /// has ended.
    func waitForLine(_ text: String, within limit: Duration = .seconds(20)) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if !lines(containing: text).isEmpty { return true }
            if !process.isRunning { return !lines(containing: text).isEmpty }
            try await Task.sleep(for: .milliseconds(5))
        }
        return false
    }

    /// Sends `signal` and waits (polling, never blocking a thread) until the process has been reaped.
    func stop(_ signal: Int32 = SIGKILL) async throws {
        kill(process.processIdentifier, signal)
        try await reap()
    }

    private func reap() async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(2)) }
    }

    /// The log tail, for a failure message.
    func tail(_ count: Int = 40) -> String { captured.withLock { $0.lines.suffix(count).joined(separator: "\n") } }

    /// Runs `step` until `condition` holds (then SIGKILLs the process and returns true) or `limit` passes (then
    /// SIGKILLs it and returns false). Always reaps the process.
    func untilKilled(
        after limit: Duration, _ condition: () -> Bool, while step: () async throws -> Void
    ) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        var met = false
        while ContinuousClock.now < deadline, process.isRunning {
            if condition() {
                met = true
                break
            }
            try await step()
        }
        if !met { met = condition() }
        kill(process.processIdentifier, SIGKILL)
        try await reap()  // polling: waitUntilExit would block a thread of the cooperative pool
        if !met {
            let tail = captured.withLock { $0.lines.suffix(40).joined(separator: "\n") }
            print("kioskd log tail:\n\(tail)")
        }
        return met
    }
}

struct KioskdNotBuilt: Error, CustomStringConvertible {
    var path: String
    var description: String { "kioskd is not built at \(path) (swift build builds it)" }
}

/// A pseudo-terminal standing in for a USB CDC-ACM scanner: the test writes scans into the master; `kioskd` opens
/// the slave by path. The slave stays open here too, so the master never sees a hang-up between kioskd runs.
final class PseudoTerminalPair: @unchecked Sendable {
    let master: Int32
    let slave: Int32
    let slavePath: String

    init() throws {
        var master: Int32 = -1
        var slave: Int32 = -1
        guard openpty(&master, &slave, nil, nil, nil) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        self.master = master
        self.slave = slave
        slavePath = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(slave)")
        // Raw mode on the slave: kioskd sets its own line discipline when it opens the port.
        var attributes = termios()
        tcgetattr(slave, &attributes)
        cfmakeraw(&attributes)
        tcsetattr(slave, TCSANOW, &attributes)
    }

    func write(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(master, $0.baseAddress, $0.count) }
    }

    deinit {
        close(master)
        close(slave)
    }
}
