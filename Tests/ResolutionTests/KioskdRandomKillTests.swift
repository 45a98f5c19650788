import Foundation
import GRDB
import Glibc
import KioskCore
import KioskTestSupport
import Testing

@testable import Resolution

/// Issue 7's crash-consistency proof: `kioskd` (the built executable) killed with SIGKILL at random points, again and
/// again, while scans arrive on a serial scanner (a pseudo-terminal), snapshots are synced from a central service on
/// 127.0.0.1 and visits are uploaded to it. After every kill: no visit lost (each visit whose result was shown is in
/// the local log, and everything the centre received is in it), none twice, the snapshot file sound and either the
/// sequence before the round or the one published for it. At the end a clean start uploads every visit and logs no
/// error.
///
/// `KIOSK_KILLS` sets the number of kills (default 100; `make soak` runs 1,000); `KIOSK_KILL_SEED` replays a run
/// (the seed is printed). The seed fixes the kill delays, the scan pacing and the snapshots; the timing of the
/// process under a loaded machine still varies, which is the point.
@Suite(.serialized, .kioskdSubprocessExclusive) struct KioskdRandomKillTests {
    static let environment = ProcessInfo.processInfo.environment

    @Test func randomKillsLoseAndDuplicateNoVisitAndLeaveTheOldOrTheNewSnapshot() async throws {
        let seed = Self.environment["KIOSK_KILL_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 1...UInt64.max)
        let kills = Self.environment["KIOSK_KILLS"].flatMap { Int($0) } ?? 100
        print("kioskd random kills: \(kills) kills, KIOSK_KILL_SEED=\(seed)")
        var keyRNG = SplitMix64(seed: seed)

        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let snapshotPath = dir.path("snapshot.sqlite")
        let visitPath = dir.path("visits.sqlite")
        let token = try dir.write(FakeCentral.token, to: "token")
        let scanner = try PseudoTerminalPair()
        // Scans pile up in the pseudo-terminal while no kioskd reads it: never let a full buffer block the test.
        _ = fcntl(scanner.master, F_SETFL, fcntl(scanner.master, F_GETFL) | O_NONBLOCK)
        let central = FakeCentral()
        let publisher = TestPublisher()
        let epochKey = EpochKey(epoch: 7, bytes: (0..<32).map { _ in UInt8.random(in: 0...255, using: &keyRNG) })
        // 20,000 subjects: an install takes long enough for some kills to land inside it.
        let entries = (0..<20_000).map { _ in
            SnapshotPayloadEntry(
                key: SubjectKey(bytes: (0..<16).map { _ in UInt8.random(in: 0...255, using: &keyRNG) })!,
                change: .upsert(StatusRecord(status: .normal, updatedAt: Date())))
        }
        let started = ContinuousClock.now
        let summary = try await central.run { baseURL in
            var rng = SplitMix64(seed: seed ^ 0x5DEE_CE66_D1CE_4E5B)
            var published = 0
            func publishNext() throws {
                published += 1
                let createdAt = Date().addingTimeInterval(-60)
                let full = try TestPublisher.payload(
                    kind: .full, epoch: epochKey.epoch, sequence: published, createdAt: createdAt,
                    entries: Array(entries.prefix(entries.count - published)))  // each sequence differs in content too
                try publisher.publish(
                    on: central, epochKey: epochKey, sequence: published, createdAt: createdAt, full: full,
                    records: entries.count - published)
            }

            let arguments = [
                "--snapshot", snapshotPath, "--visit-log", visitPath, "--renderer", "none", "--no-scanner-discovery",
                "--scanner", "serial:\(scanner.slavePath)", "--hold", "1", "--min-hold", "0",
                "--central-url", baseURL, "--token-file", token.path, "--kiosk-id", "kiosk-random-kill",
                "--central-public-key", publisher.publicKeyBase64,
            ]
            let environment = ["KIOSKD_CENTRAL_UPLOAD_INTERVAL_SECONDS": "1"]
            var shown: Set<String> = []
            var installsCut = 0
            var installed = 0
            var scans = 0
            for round in 0..<kills {
                // A new snapshot every other round, so about half the starts have one to install.
                if round % 2 == 0 { try publishNext() }
                let before = try Self.snapshotState(snapshotPath)?.sequence
                let kioskd = try KioskdProcess(arguments: arguments, environment: environment)
                let delay = Duration.milliseconds(Int.random(in: 0...1500, using: &rng))
                let deadline = ContinuousClock.now + delay
                while ContinuousClock.now < deadline {
                    scanner.write(KioskdKillTests.scannedIDs[scans % KioskdKillTests.scannedIDs.count] + "\r\n")
                    scans += 1
                    try await Task.sleep(for: .milliseconds(Int.random(in: 5...40, using: &rng)))
                }
                try await kioskd.stop(SIGKILL)

                let thisRound = kioskd.lines(containing: "tap shown").compactMap {
                    KioskdKillTests.field("kiosk.visit", in: $0)
                }
                shown.formUnion(thisRound)
                if !kioskd.lines(containing: "installing snapshot payload").isEmpty {
                    if kioskd.lines(containing: "] snapshot installed").isEmpty { installsCut += 1 } else { installed += 1 }
                }
                let context = "round \(round) (KIOSK_KILL_SEED=\(seed), killed after \(delay))"

                // The snapshot: sound, and the old or the new one.
                if let state = try Self.snapshotState(snapshotPath) {
                    #expect(state.integrity == "ok", "\(context): \(state.integrity)")
                    #expect(
                        state.sequence == before || state.sequence == published,
                        "\(context): sequence \(state.sequence), before \(before.map(String.init) ?? "none"), published \(published)")
                    #expect(state.rows == state.recordCount, "\(context): \(state.rows) rows, metadata says \(state.recordCount)")
                } else {
                    #expect(before == nil, "\(context): the snapshot vanished")
                }
                // Visits: each shown one logged, none twice, nothing at the centre that is not in the log.
                let logged = try Self.loggedVisitIDs(visitPath)
                #expect(Set(logged).count == logged.count, "\(context): a visit is in the log twice")
                let missing = shown.subtracting(logged)
                #expect(missing.isEmpty, "\(context): \(missing.count) visits shown on screen are not in the log")
                let received = central.read { Set($0.visits.keys.map { $0.lowercased() }) }
                #expect(received.isSubset(of: Set(logged)), "\(context): the centre holds visits the log does not")
                // At most one visit per kill can be in the log without its "tap shown" line (killed in between).
                #expect(logged.count - shown.count <= round + 1, "\(context): \(logged.count) logged, \(shown.count) shown")
                let errors = kioskd.allLines.filter(Self.isErrorLine)
                #expect(errors.isEmpty, "\(context): error lines:\n\(errors.joined(separator: "\n"))")
                if !missing.isEmpty || !errors.isEmpty { print("kioskd log tail:\n\(kioskd.tail())") }
            }

            // The next start is clean: it serves, uploads every logged visit exactly once, and logs no error.
            let logged = Set(try Self.loggedVisitIDs(visitPath))
            let kioskd = try KioskdProcess(arguments: arguments, environment: environment)
            #expect(try await kioskd.waitForLine("kioskd serving"), "no clean start:\n\(kioskd.tail())")
            let uploadDeadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < uploadDeadline {
                if central.read({ $0.visits.count }) == logged.count, (try? VisitLog(path: visitPath).pendingCount()) == 0 {
                    break
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            let received = central.read { Set($0.visits.keys.map { $0.lowercased() }) }
            #expect(received == logged, "the centre holds \(received.count) of \(logged.count) logged visits")
            #expect(try VisitLog(path: visitPath).pendingCount() == 0)
            try await kioskd.stop(SIGTERM)
            #expect(!kioskd.lines(containing: "kioskd stopped").isEmpty, "no graceful stop:\n\(kioskd.tail())")
            let errors = kioskd.allLines.filter(Self.isErrorLine)
            #expect(errors.isEmpty, "the clean start logged errors:\n\(errors.joined(separator: "\n"))")
            #expect(shown.count > 0, "no tap was shown in \(kills) rounds")
            return (shown.count, logged.count, installed, installsCut, scans)
        }
        print(
            "kioskd random kills: \(kills) SIGKILLs in \(ContinuousClock.now - started), \(summary.4) scans written, "
                + "\(summary.0) results shown, \(summary.1) visits logged and uploaded once, snapshot installs "
                + "\(summary.2) completed and \(summary.3) cut by a kill (old snapshot intact), seed \(seed)")
    }

    // MARK: - Helpers

    /// A `StreamLogHandler` line at error or critical level (`<timestamp> <level> <label> : …`).
    static func isErrorLine(_ line: String) -> Bool {
        let fields = line.split(separator: " ", maxSplits: 2)
        return fields.count >= 2 && (fields[1] == "error" || fields[1] == "critical")
    }

    /// The visit ids in the log (lower-case UUIDs); none while kioskd has not created it yet (killed that early).
    static func loggedVisitIDs(_ path: String) throws -> [String] {
        guard FileManager.default.fileExists(atPath: path),
            try DatabaseQueue(path: path).read({ try $0.tableExists("visit") })
        else { return [] }
        return try KioskdKillTests.loggedVisitIDs(path)
    }

    struct SnapshotState {
        var sequence: Int
        var recordCount: Int
        var rows: Int
        var integrity: String
    }

    /// The installed snapshot's sequence and counts and `PRAGMA integrity_check`, or `nil` when none is installed.
    static func snapshotState(_ path: String) throws -> SnapshotState? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try DatabaseQueue(path: path).read { db -> SnapshotState? in
            guard try db.tableExists("snapshot_meta"),
                let meta = try Row.fetchOne(db, sql: "SELECT sequence, record_count FROM snapshot_meta")
            else { return nil }
            let rows = try Int.fetchOne(
                db,
                sql: "SELECT (SELECT COUNT(*) FROM snapshot_row) + (SELECT COUNT(*) FROM snapshot_row_overflow)") ?? -1
            let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ")
            return SnapshotState(sequence: meta[0], recordCount: meta[1], rows: rows, integrity: integrity)
        }
    }
}

/// Runs the suites that start `kioskd` subprocesses one at a time (each takes this trait; `.serialized` inside).
///
/// They are CPU-heavy (a debug `kioskd` per start, snapshot installs) and time-sensitive (a kill must land while
/// taps flow); run side by side on a 2-core machine they starve each other and everything else.
struct KioskdSubprocessExclusive: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        await KioskdSubprocessLock.shared.acquire()
        do {
            try await function()
        } catch {
            await KioskdSubprocessLock.shared.release()
            throw error
        }
        await KioskdSubprocessLock.shared.release()
    }
}

extension Trait where Self == KioskdSubprocessExclusive {
    /// The suite starts `kioskd` subprocesses: run it alone among such suites.
    static var kioskdSubprocessExclusive: KioskdSubprocessExclusive { KioskdSubprocessExclusive() }
}

/// The lock of the suites that start `kioskd` subprocesses.
enum KioskdSubprocessLock {
    static let shared = FIFOLock()
}
