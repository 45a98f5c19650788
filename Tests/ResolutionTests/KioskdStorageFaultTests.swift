import Foundation
import Glibc
import KioskCore
import KioskTestSupport
import Testing

@testable import Resolution

/// The state directory's disk fills up under a running `kioskd` (a 2 MiB tmpfs mounted for the test, as root): taps
/// are still answered and shown, the log says what is wrong, no visit already shown is lost, and once space returns
/// the visits held meanwhile reach the visit log, each once.
@Suite(
    .serialized, .kioskdSubprocessExclusive,
    .enabled(if: getuid() == 0, "mounts a tmpfs: needs root (CAP_SYS_ADMIN)"))
struct KioskdStorageFaultTests {
    @Test func aFullDiskKeepsTheKioskServingAndHoldsVisitsUntilSpaceReturns() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let state = dir.path("state")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let tmpfs = try SmallTmpfs(mountingAt: state)
        defer { tmpfs.unmount() }
        let snapshotPath = state + "/snapshot.sqlite"
        let visitPath = state + "/visits.sqlite"
        try SnapshotImporter.importPeople(file: KioskdKillTests.demoPeopleFile, into: SnapshotStore(path: snapshotPath))

        let scanner = try PseudoTerminalPair()
        let kioskd = try KioskdProcess(
            arguments: [
                "--snapshot", snapshotPath, "--visit-log", visitPath, "--renderer", "terminal",
                "--no-scanner-discovery", "--scanner", "serial:\(scanner.slavePath)", "--hold", "30",
            ], captureScreen: true)
        // Scans written before the port is open are flushed by kioskd (they belong to nobody).
        #expect(try await kioskd.waitForLine("input scanner-serial"), "\(kioskd.tail())")

        // One tap while the disk has room.
        var visits: [String] = []
        func tap(_ id: String, expecting status: String, _ title: String) async throws {
            let before = kioskd.lines(containing: "tap shown").count
            let screenOffset = kioskd.screenByteCount
            scanner.write(id + "\r\n")
            let deadline = ContinuousClock.now + .seconds(20)
            while kioskd.lines(containing: "tap shown").count == before, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            let line = try #require(kioskd.lines(containing: "tap shown").dropFirst(before).first, "no tap: \(kioskd.tail())")
            #expect(line.contains("kiosk.result=\(status)"), "\(line)")
            visits.append(try #require(KioskdKillTests.field("kiosk.visit", in: line), "\(line)"))
            // What the person sees: the result title on the terminal.
            let screenDeadline = ContinuousClock.now + .seconds(20)
            while !kioskd.screen(after: screenOffset).contains(title), ContinuousClock.now < screenDeadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(kioskd.screen(after: screenOffset).contains(title), "the screen shows \(kioskd.screen(after: screenOffset).suffix(200))")
        }
        try await tap(KioskdKillTests.scannedIDs[0], expecting: "normal", "未见异常")
        #expect(try KioskdKillTests.loggedVisitIDs(visitPath) == visits)

        // Fill the disk to the last byte.
        let filled = tmpfs.fill()
        #expect(filled > 0)
        var probe = statvfs()
        statvfs(state, &probe)
        #expect(probe.f_bavail == 0, "\(probe.f_bavail) blocks still free")

        // Taps go on: shown, and the log says the visit log cannot be written.
        try await tap(KioskdKillTests.scannedIDs[1], expecting: "homeObservation", "居家观察")
        try await tap(KioskdKillTests.scannedIDs[2], expecting: "centralizedObservation", "集中观察")
        let held = try #require(kioskd.lines(containing: "the visit log cannot be written").first, "\(kioskd.tail())")
        #expect(held.contains(" error "), "\(held)")
        #expect(held.contains("kiosk.visit_log.path=\(visitPath)"), "\(held)")
        #expect(kioskd.lines(containing: "visit not recorded").isEmpty)
        let loggedWhileFull = try KioskdKillTests.loggedVisitIDs(visitPath)
        #expect(loggedWhileFull == [visits[0]], "the first visit is still there, whole")

        // Space returns: the held visits are written (by the retry, without another tap), then taps as before.
        tmpfs.free()
        #expect(try await kioskd.waitForLine("the visit log takes writes again"), "\(kioskd.tail())")
        try await tap(KioskdKillTests.scannedIDs[3], expecting: "normal", "未见异常")
        let logged = try KioskdKillTests.loggedVisitIDs(visitPath)
        #expect(logged.sorted() == visits.sorted(), "every shown visit is in the log once: \(logged) vs \(visits)")
        let recovered = try #require(kioskd.lines(containing: "the visit log takes writes again").first)
        #expect(recovered.contains("kiosk.visits.written=2"), "\(recovered)")

        try await kioskd.stop(SIGTERM)
        #expect(kioskd.lines(containing: "are lost").isEmpty)
        print("disk full: \(filled) bytes of filler, 2 taps held in memory and written when space returned")
        _ = scanner
    }

    /// The same full disk under a snapshot sync: the download fails and says so, the installed snapshot keeps
    /// answering, and once space returns the next sync installs the new snapshot.
    @Test func aFullDiskFailsTheSnapshotDownloadAndTheOldSnapshotKeepsServing() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let state = dir.path("state")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let tmpfs = try SmallTmpfs(mountingAt: state)
        defer { tmpfs.unmount() }
        let central = FakeCentral()
        let publisher = TestPublisher()
        let epochKey = EpochKey(epoch: 7, bytes: Array(repeating: 0x37, count: 32))
        let person = SubjectKey(identity: Demo.identity(.residentID, KioskdKillTests.scannedIDs[1]), epochKey: epochKey)
        var rng = SplitMix64(seed: 11)
        let createdAt = Date().addingTimeInterval(-60)
        let first = SnapshotPayloadEntry(
            key: person, change: .upsert(StatusRecord(status: .homeObservation, updatedAt: createdAt)))
        let more = (0..<8_000).map { _ in
            SnapshotPayloadEntry(
                key: SubjectKey(bytes: (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) })!,
                change: .upsert(StatusRecord(status: .normal, updatedAt: createdAt)))
        }
        let small = try TestPublisher.payload(kind: .full, epoch: 7, sequence: 1, createdAt: createdAt, entries: [first])
        let large = try TestPublisher.payload(
            kind: .full, epoch: 7, sequence: 2, createdAt: createdAt, entries: [first] + more)
        try publisher.publish(on: central, epochKey: epochKey, sequence: 1, createdAt: createdAt, full: small, records: 1)
        let token = try dir.write(FakeCentral.token, to: "token")
        let scanner = try PseudoTerminalPair()

        try await central.run { baseURL in
            let kioskd = try KioskdProcess(
                arguments: [
                    "--snapshot", state + "/snapshot.sqlite", "--visit-log", state + "/visits.sqlite",
                    "--renderer", "none", "--no-scanner-discovery", "--scanner", "serial:\(scanner.slavePath)",
                    "--central-url", baseURL, "--token-file", token.path, "--kiosk-id", "kiosk-disk-test",
                    "--central-public-key", publisher.publicKeyBase64,
                ])
            #expect(try await kioskd.waitForLine("] snapshot installed"), "\(kioskd.tail())")
            #expect(try await kioskd.waitForLine("input scanner-serial"), "\(kioskd.tail())")

            // The disk fills; the centre publishes a new snapshot (about 260 KB) and asks for a sync (a 409).
            #expect(tmpfs.fill() > 0)
            try publisher.publish(
                on: central, epochKey: epochKey, sequence: 2, createdAt: createdAt, full: large, records: 8_001)
            central.update { $0.lookupMode = .status(409) }
            scanner.write(KioskdKillTests.scannedIDs[1] + "\r\n")
            #expect(try await kioskd.waitForLine("snapshot sync failed"), "\(kioskd.tail())")
            let failed = try #require(kioskd.lines(containing: "snapshot sync failed").first)
            #expect(failed.contains("kiosk.sync.error=downloadFailed"), "\(failed)")
            // The detail says the disk is full, not that the connection failed.
            #expect(failed.contains("cannot write snapshot payload \(state)/partial-"), "\(failed)")
            #expect(failed.contains("No space left on device (ENOSPC)") && !failed.contains("connection"), "\(failed)")
            let tap = try #require(kioskd.lines(containing: "tap shown").first, "\(kioskd.tail())")
            #expect(tap.contains("kiosk.provenance=snapshot") && tap.contains("kiosk.result=homeObservation"), "\(tap)")
            #expect(try KioskdRandomKillTests.snapshotState(state + "/snapshot.sqlite")?.sequence == 1)

            // Space returns; the next 409 syncs again and the new snapshot is installed whole.
            tmpfs.free()
            try await Task.sleep(for: .seconds(2.5))  // the scanner drops the same code within 2 s
            scanner.write(KioskdKillTests.scannedIDs[1] + "\r\n")
            let deadline = ContinuousClock.now + .seconds(30)
            while kioskd.lines(containing: "] snapshot installed").count < 2, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            let installed = try #require(try KioskdRandomKillTests.snapshotState(state + "/snapshot.sqlite"))
            #expect(installed.sequence == 2 && installed.rows == 8_001 && installed.integrity == "ok", "\(kioskd.tail())")
            #expect(kioskd.lines(containing: "tap shown").count == 2)
            try await kioskd.stop(SIGTERM)
            // The only error: the visit of the tap during the full disk could not be written at first.
            let errors = kioskd.allLines.filter(KioskdRandomKillTests.isErrorLine)
            #expect(errors.count == 1 && errors[0].contains("the visit log cannot be written"), "\(errors)")
            #expect(!kioskd.lines(containing: "the visit log takes writes again").isEmpty)
        }
        _ = scanner
    }
}
