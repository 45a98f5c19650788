import Display
import Foundation
import KioskCore
import KioskDaemon
import Logging
import Resolution
import Synchronization
import Testing

/// The kiosk's wall clock jumping forwards and backwards under the tap pipeline (issue 7, fault matrix): a jump never
/// makes a stale snapshot look fresh, never makes a fresh one "cannot verify" wrongly, and visit times never run
/// backwards. Real parts: the pipeline, the resolver, a snapshot and a visit log in SQLite files; the wall clock is
/// the pipeline's seam, moved by the test (the system clock is left alone).
@Suite struct ClockJumpTests {
    /// A person scanned at the kiosk (the demo file's 张三明, status normal).
    static let person = Identity(kind: .residentID, value: "11010519491231002X", isValidated: true)

    @Test func aBackwardJumpCannotMakeAStaleSnapshotLookFresh() async throws {
        let t0 = Date()
        try await Self.withPipeline(snapshotHoursOld: 40, at: t0, wall: t0) { kiosk in
            // 40 h old: fresh (the limit is 48 h).
            let fresh = try await kiosk.tap()
            #expect(fresh.kind == .result(.normal))
            #expect(kiosk.lastTap()?.metadata["kiosk.provenance"] == "snapshot")

            // The clock jumps 10 h forward: 50 h old, too old.
            kiosk.setWall(t0.addingTimeInterval(10 * 3600))
            #expect(try await kiosk.tap().kind == .cannotVerify(.snapshotTooOld))
            #expect(kiosk.lastTap()?.metadata["kiosk.provenance"] == "cannotVerify:snapshotTooOld")

            // Then 15 h back (35 h on the wall clock): still too old, and the log says the clock went back.
            kiosk.setWall(t0.addingTimeInterval(-5 * 3600))
            #expect(try await kiosk.tap().kind == .cannotVerify(.snapshotTooOld))
            let warning = try #require(kiosk.entries(containing: "the wall clock went back").first)
            #expect(warning.level == .warning)
            let behind = try #require(Int(warning.metadata["kiosk.clock.behind_s"] ?? ""))
            #expect(abs(behind - 15 * 3600) < 600, "\(behind) s")
            #expect(try await kiosk.tap().kind == .cannotVerify(.snapshotTooOld))  // the next tap too
            #expect(kiosk.entries(containing: "the wall clock went back").count == 1, "one warning per jump")

            // The wall clock catches up: timed by it again.
            kiosk.setWall(t0.addingTimeInterval(10 * 3600 + 600))
            #expect(try await kiosk.tap().kind == .cannotVerify(.snapshotTooOld))
            #expect(!kiosk.entries(containing: "the wall clock caught up").isEmpty)

            // Visit times never run backwards, and none is at the wall clock's wrong time.
            let times = try kiosk.visitTimes()
            #expect(times.count == 5)
            #expect(times == times.sorted(), "\(times)")
            #expect(times[2] >= t0.addingTimeInterval(10 * 3600 - 1), "the visit after the jump back: \(times[2])")
        }
    }

    @Test func jumpsWithinTheSnapshotsValidityKeepAFreshSnapshotAnswering() async throws {
        let t0 = Date()
        try await Self.withPipeline(snapshotHoursOld: 1, at: t0, wall: t0) { kiosk in
            let first = try await kiosk.tap()
            #expect(first.kind == .result(.normal))
            // NTP steps the clock back 30 min (still after the snapshot was made): fresh, and answered.
            kiosk.setWall(t0.addingTimeInterval(-1800))
            #expect(try await kiosk.tap().kind == .result(.normal))
            #expect(kiosk.lastTap()?.metadata["kiosk.provenance"] == "snapshot")
            // Forward 3 h: 4 h old, fresh.
            kiosk.setWall(t0.addingTimeInterval(3 * 3600))
            #expect(try await kiosk.tap().kind == .result(.normal))
            let times = try kiosk.visitTimes()
            #expect(times == times.sorted(), "\(times)")
        }
    }

    @Test func aDeadClockAtStartCannotVerifyUntilItIsSet() async throws {
        let t0 = Date()
        // The RTC lost power: the kiosk starts in 1970-ish time, long before the snapshot was made.
        try await Self.withPipeline(snapshotHoursOld: 1, at: t0, wall: Date(timeIntervalSince1970: 86400)) { kiosk in
            let first = try await kiosk.tap()
            #expect(first.kind == .cannotVerify(.clockBehindSnapshot))
            #expect(kiosk.lastTap()?.metadata["kiosk.provenance"] == "cannotVerify:clockBehindSnapshot")
            // NTP sets it: the next tap is answered.
            kiosk.setWall(t0)
            let second = try await kiosk.tap()
            #expect(second.kind == .result(.normal))
        }
    }

    // MARK: - Rig

    /// The wall clock the pipeline reads, set by the test.
    final class TestWallClock: Sendable {
        private let date: Mutex<Date>
        init(_ date: Date) { self.date = Mutex(date) }
        func set(_ new: Date) { date.withLock { $0 = new } }
        func read() -> Date { date.withLock { $0 } }
    }

    /// Writes visits through the ``HoldingVisitRecorder`` and keeps their times in the order they were recorded.
    final class TimedVisits: VisitRecording, Sendable {
        let recorder: HoldingVisitRecorder
        let times = Mutex<[Date]>([])
        init(_ recorder: HoldingVisitRecorder) { self.recorder = recorder }

        func recordVisit(venueID: String, at: Date, subject: VisitSubject?, resolution: Resolution) async throws -> UUID {
            times.withLock { $0.append(at) }
            return try await recorder.recordVisit(venueID: venueID, at: at, subject: subject, resolution: resolution)
        }
    }

    final class Kiosk: Sendable {
        let pipeline: TapPipeline
        let frames: FrameIterator
        let wall: TestWallClock
        let visits: TimedVisits
        let logs: RecordingLogHandler.Store

        init(
            pipeline: TapPipeline, frames: FrameIterator, wall: TestWallClock, visits: TimedVisits,
            logs: RecordingLogHandler.Store
        ) {
            self.pipeline = pipeline
            self.frames = frames
            self.wall = wall
            self.visits = visits
            self.logs = logs
        }

        func setWall(_ date: Date) { wall.set(date) }

        /// Scans the person; returns the screen drawn for it.
        func tap() async throws -> Screen {
            await pipeline.present(
                CardReading(identities: [ClockJumpTests.person], displayName: nil, profile: "scan-test"),
                source: "test-scanner", event: "qr_scan", at: .now, removable: false)
            while let frame = await frames.next() {
                if frame.tapToFrame != nil { return frame.screen }
            }
            throw TestFailure("no frame for the tap")
        }

        func entries(containing text: String) -> [RecordingLogHandler.Entry] {
            logs.entries.withLock { $0.filter { $0.message.contains(text) } }
        }

        func lastTap() -> RecordingLogHandler.Entry? { entries(containing: "tap shown").last }

        /// The visit times, in the order the visits were recorded; each visit is in the log (checked here).
        func visitTimes() throws -> [Date] {
            let times = visits.times.withLock { $0 }
            #expect(try visits.recorder.log.count() == times.count)
            return times
        }
    }

    static func withPipeline(
        snapshotHoursOld: Int, at t0: Date, wall start: Date, _ body: (Kiosk) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("clock-jump-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let people = directory.appendingPathComponent("people.json")
        try Data(
            """
            {"epoch": 3, "sequence": 7, "createdHoursAgo": \(snapshotHoursOld), "people": [
              {"name": "张三明", "idNumber": "11010519491231002X", "status": "normal"}]}
            """.utf8
        ).write(to: people)
        let snapshot = try SnapshotStore(path: directory.appendingPathComponent("snapshot.sqlite").path)
        try SnapshotImporter.importPeople(file: people, into: snapshot, now: t0)
        let visits = try VisitLog(path: directory.appendingPathComponent("visits.sqlite").path)
        let logs = RecordingLogHandler.Store()
        let logger = Logger(label: "clock-jump") { label in RecordingLogHandler(label: label, store: logs) }
        let wall = TestWallClock(start)
        let timed = TimedVisits(HoldingVisitRecorder(log: visits, logger: logger))
        let pipeline = TapPipeline(
            configuration: KioskConfiguration(venueID: "clock-test", scanHoldSeconds: 30),
            cardReader: NoCardReader(), resolver: Resolver(snapshot: snapshot, logger: logger),
            visits: timed, renderer: NullDisplay(), logger: logger, wallClock: { wall.read() })
        let frames = FrameIterator(await pipeline.frames())
        await pipeline.start()
        try await body(Kiosk(pipeline: pipeline, frames: frames, wall: wall, visits: timed, logs: logs))
        await pipeline.finish()
    }
}

/// A card reader for pipelines driven by scans only.
struct NoCardReader: CardIdentityReader {
    func read(reader: String, atr: [UInt8]) async throws -> CardReading { throw TestFailure("no card reader here") }
}
