import Foundation
import GRDB
import Glibc
import KioskCore
import KioskTestSupport
import Synchronization
import Testing

@testable import Resolution

/// Damaged state files (issue 7, defects from the review): `kioskd` never stops over a damaged snapshot or visit log.
/// The damaged file is moved aside (kept byte for byte for the technician), the log and `kioskctl doctor` say so,
/// a full snapshot is synced again from the centre, and the next tap is answered and logged.
@Suite(.serialized, .kioskdSubprocessExclusive) struct KioskdDamagedFileTests {
    static let scannedID = KioskdKillTests.scannedIDs[1]  // 李秀英, homeObservation in the demo file

    /// A page in the middle of the snapshot file overwritten: SQLite opens the file and reads its metadata, so only
    /// the background `PRAGMA quick_check` at start finds it.
    @Test func aPageDamagedInTheMiddleOfTheSnapshotIsFoundAtStartAndASnapshotIsSyncedAgain() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let snapshotPath = dir.path("snapshot.sqlite")
        let epochKey = EpochKey(epoch: 7, bytes: Array(repeating: 0x42, count: 32))
        var rng = SplitMix64(seed: 7)
        let entries = (0..<30_000).map { _ in
            SnapshotPayloadEntry(
                key: SubjectKey(bytes: (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) })!,
                change: .upsert(StatusRecord(status: .normal, updatedAt: Date())))
        }
        let createdAt = Date().addingTimeInterval(-600)
        try SnapshotStore(path: snapshotPath).replaceAll(
            records: entries.map {
                SnapshotEntry(subjectKey: $0.key, record: StatusRecord(status: .normal, updatedAt: Date()))
            },
            metadata: SnapshotMetadata(epochKey: epochKey, sequence: 5, createdAt: createdAt, source: "central"))
        let damagedPage = try Self.overwriteAMiddlePage(of: snapshotPath)

        let central = FakeCentral()
        let publisher = TestPublisher()
        let full = try TestPublisher.payload(
            kind: .full, epoch: epochKey.epoch, sequence: 5, createdAt: createdAt, entries: entries)
        try publisher.publish(
            on: central, epochKey: epochKey, sequence: 5, createdAt: createdAt, full: full, records: entries.count)
        let person = SubjectKey(identity: Demo.identity(.residentID, Self.scannedID), epochKey: epochKey)
        central.update { $0.records[person] = FakeCentral.recordJSON(.homeObservation) }
        let token = try dir.write(FakeCentral.token, to: "token")
        let scanner = try PseudoTerminalPair()

        try await central.run { baseURL in
            let kioskd = try KioskdProcess(
                arguments: [
                    "--snapshot", snapshotPath, "--visit-log", dir.path("visits.sqlite"), "--renderer", "terminal",
                    "--no-scanner-discovery", "--scanner", "serial:\(scanner.slavePath)", "--hold", "30",
                    "--central-url", baseURL, "--token-file", token.path, "--kiosk-id", "kiosk-damage-test",
                    "--central-public-key", publisher.publicKeyBase64,
                ], captureScreen: true)
            #expect(try await kioskd.waitForLine("the snapshot file is damaged"), "page \(damagedPage):\n\(kioskd.tail())")
            #expect(try await kioskd.waitForLine("] snapshot installed"), "no resync:\n\(kioskd.tail())")
            let damagedLine = try #require(kioskd.lines(containing: "the snapshot file is damaged").first)
            #expect(damagedLine.contains("kiosk.snapshot.resync=true"))

            // The damaged copy is kept and is still damaged; the new file is sound and whole.
            let aside = DamagedDatabase.setAsideCopies(of: snapshotPath)
            #expect(aside.count == 1, "\(aside)")
            if let copy = aside.first {
                #expect(damagedLine.contains(copy), "\(damagedLine)")
                #expect(try SnapshotStore(path: copy).quickCheck() != [], "the copy set aside is the damaged file")
            }
            let state = try #require(try KioskdRandomKillTests.snapshotState(snapshotPath))
            #expect(state.integrity == "ok")
            #expect(state.sequence == 5 && state.rows == entries.count)

            // The next tap is answered online and its result shown.
            scanner.write(Self.scannedID + "\r\n")
            #expect(try await kioskd.waitForLine("tap shown"), "\(kioskd.tail())")
            let tap = try #require(kioskd.lines(containing: "tap shown").first)
            #expect(tap.contains("kiosk.result=homeObservation") && tap.contains("kiosk.provenance=online"), "\(tap)")
            #expect(kioskd.screen.contains("居家观察"), "the screen shows: \(kioskd.screen.suffix(300))")
            try await kioskd.stop(SIGTERM)
        }
    }

    /// Both files are not databases at all (a bad flash block, a copy gone wrong): kioskd starts anyway, with a
    /// central service and without one.
    @Test(arguments: [true, false])
    func snapshotAndVisitLogThatAreNotDatabasesAreSetAsideAndTheKioskServes(withCentral: Bool) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let snapshotPath = dir.path("snapshot.sqlite")
        let visitPath = dir.path("visits.sqlite")
        let garbage = Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) })
        try garbage.write(to: URL(fileURLWithPath: snapshotPath))
        try garbage.write(to: URL(fileURLWithPath: visitPath))

        let central = FakeCentral()
        let publisher = TestPublisher()
        let epochKey = EpochKey(epoch: 7, bytes: Array(repeating: 0x24, count: 32))
        let person = SubjectKey(identity: Demo.identity(.residentID, Self.scannedID), epochKey: epochKey)
        let createdAt = Date().addingTimeInterval(-600)
        let full = try TestPublisher.payload(
            kind: .full, epoch: 7, sequence: 3, createdAt: createdAt,
            entries: [SnapshotPayloadEntry(key: person, change: .upsert(StatusRecord(status: .homeObservation, updatedAt: createdAt)))])
        try publisher.publish(on: central, epochKey: epochKey, sequence: 3, createdAt: createdAt, full: full, records: 1)
        central.update { $0.records[person] = FakeCentral.recordJSON(.homeObservation) }
        let token = try dir.write(FakeCentral.token, to: "token")
        let scanner = try PseudoTerminalPair()

        try await central.run { baseURL in
            var arguments = [
                "--snapshot", snapshotPath, "--visit-log", visitPath, "--renderer", "terminal",
                "--no-scanner-discovery", "--scanner", "serial:\(scanner.slavePath)", "--hold", "30",
            ]
            if withCentral {
                arguments += [
                    "--central-url", baseURL, "--token-file", token.path, "--kiosk-id", "kiosk-damage-test",
                    "--central-public-key", publisher.publicKeyBase64,
                ]
            }
            let kioskd = try KioskdProcess(arguments: arguments, captureScreen: true)
            // Scans written before the port is open are flushed by kioskd (they belong to nobody).
            #expect(try await kioskd.waitForLine("input scanner-serial"), "kioskd did not start:\n\(kioskd.tail())")
            #expect(!kioskd.lines(containing: "the snapshot file is damaged").isEmpty, "\(kioskd.tail())")
            let visitLine = try #require(kioskd.lines(containing: "the visit log file is damaged").first)
            #expect(visitLine.contains(" error "), "said loudly: \(visitLine)")
            #expect(visitLine.contains("only in the moved file"), "\(visitLine)")

            // Kept byte for byte, never deleted.
            for path in [snapshotPath, visitPath] {
                let aside = DamagedDatabase.setAsideCopies(of: path)
                #expect(aside.count == 1, "\(path): \(aside)")
                if let copy = aside.first {
                    #expect(FileManager.default.contents(atPath: copy) == garbage, "\(copy) is not the original")
                }
            }

            if withCentral {
                #expect(try await kioskd.waitForLine("] snapshot installed"), "\(kioskd.tail())")
            }
            scanner.write(Self.scannedID + "\r\n")
            #expect(try await kioskd.waitForLine("tap shown"), "\(kioskd.tail())")
            let tap = try #require(kioskd.lines(containing: "tap shown").first)
            let visit = try #require(KioskdKillTests.field("kiosk.visit", in: tap))
            #expect(try KioskdKillTests.loggedVisitIDs(visitPath) == [visit], "the new visit log holds the tap")
            if withCentral {
                #expect(tap.contains("kiosk.result=homeObservation"), "\(kioskd.tail(60))")
                #expect(kioskd.screen.contains("居家观察"), "the screen shows: \(kioskd.screen.suffix(300))")
            } else {
                // No snapshot to answer from, and no centre: the person is told it cannot be verified.
                #expect(tap.contains("kiosk.result=cannotVerify"), "\(tap)")
                #expect(kioskd.screen.contains("暂无法核验"), "the screen shows: \(kioskd.screen.suffix(300))")
            }
            try await kioskd.stop(SIGTERM)

            // kioskctl doctor names both copies.
            let doctor = try await Self.runKioskctlDoctor(snapshotPath: snapshotPath, visitPath: visitPath)
            #expect(doctor.contains("a damaged visit log was set aside"), "\(doctor)")
            #expect(doctor.contains("a damaged snapshot was set aside"), "\(doctor)")
        }
    }

    // MARK: - Helpers

    /// Overwrites one page of the `snapshot_row` table in the middle of the file with 0xFF bytes (after a checkpoint,
    /// so the page is in the main file). Returns the page number.
    static func overwriteAMiddlePage(of path: String) throws -> Int {
        let (pageSize, page) = try DatabaseQueue(path: path).writeWithoutTransaction { db -> (Int, Int) in
            try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
            let size = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
            let count = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            let leaves =
                (try? Int.fetchAll(
                    db, sql: "SELECT pageno FROM dbstat WHERE name = 'snapshot_row' AND pagetype = 'leaf' ORDER BY pageno"))
                ?? []
            return (size, leaves.isEmpty ? count / 2 : leaves[leaves.count / 2])
        }
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64((page - 1) * pageSize))
        try handle.write(contentsOf: Data(repeating: 0xFF, count: pageSize))
        try handle.synchronize()
        return page
    }

    /// `kioskctl doctor` (built beside the test binary) on these files; its standard output.
    static func runKioskctlDoctor(snapshotPath: String, visitPath: String) async throws -> String {
        let binary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("kioskctl")
        let process = Process()
        process.executableURL = binary
        process.arguments = ["doctor"]
        var environment = ProcessInfo.processInfo.environment
        environment["KIOSKD_STORAGE_SNAPSHOT_PATH"] = snapshotPath
        environment["KIOSKD_STORAGE_VISIT_LOG_PATH"] = visitPath
        environment["PCSCLITE_CSOCK_NAME"] = "/nonexistent/kioskd-damage-test.comm"
        environment["KIOSKD_CONFIG"] = nil
        environment["KIOSKD_TEST_LOG_LEVEL"] = nil
        process.environment = environment
        let output = Mutex<Data>(Data())
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if !data.isEmpty { output.withLock { $0 += data } }
        }
        try process.run()
        let deadline = ContinuousClock.now + .seconds(60)
        while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        try await Task.sleep(for: .milliseconds(50))  // the last bytes through the handler
        return String(decoding: output.withLock { $0 }, as: UTF8.self)
    }
}
