import Barcode
import Foundation
import Glibc
import KioskCore
import Testing

/// Committed recordings replayed through a real pipe into the evdev source (ioctls fail on the pipe: no LED info,
/// not grabbed, same read loop as a device).
struct EvdevReplayTests {
    static func config(_ layout: KeyboardLayout, caps: Bool = false, gap: Duration = .milliseconds(100))
        -> EvdevScannerConfiguration
    {
        EvdevScannerConfiguration(
            layout: layout, framing: ScannerFraming(interKeyGap: gap), assumedLocks: LockState(capsLock: caps))
    }

    @Test func fixturesMatchTheGenerator() throws {
        let regenerate = ProcessInfo.processInfo.environment["KIOSK_REGENERATE_SCAN_FIXTURES"] == "1"
        if regenerate {
            try FileManager.default.createDirectory(at: ScanFixtures.directory, withIntermediateDirectories: true)
        }
        for (name, bytes) in ScanFixtures.all {
            let url = ScanFixtures.directory.appendingPathComponent(name)
            if regenerate { try Data(bytes).write(to: url) }
            #expect(try ScanFixtures.load(name) == bytes, "\(name) differs from its generator")
            #expect(bytes.count % 24 == 0)
        }
    }

    @Test(arguments: KeyboardLayout.allCases)
    func hc1TypedOnEachLayout(layout: KeyboardLayout) async throws {
        let events = try await Replay.evdev(
            try ScanFixtures.load("\(layout.rawValue)-hc1.bin"), configuration: Self.config(layout))
        #expect(events.count == 1)
        #expect(events.first?.text.value == ScanFixtures.hc1)
        #expect(events.first?.payload == .euDCC(length: ScanFixtures.hc1.count))
        #expect(events.first?.payload.guidance == .euCertificateNotSupported)
        #expect(events.first?.layoutHint == nil)
        #expect(events.first?.kind == .evdev)
        #expect(events.first?.source == "pipe:evdev")
    }

    @Test func wrongLayoutGivesAHint() async throws {
        // A German-set scanner read as US: `:` arrives as Shift+. and `/` as Shift+7.
        let events = try await Replay.evdev(try ScanFixtures.load("de-hc1.bin"), configuration: Self.config(.us))
        #expect(events.count == 1)
        #expect(events.first?.text.value != ScanFixtures.hc1)
        #expect(events.first?.layoutHint == .de)
        let fr = try await Replay.evdev(try ScanFixtures.load("fr-hc1.bin"), configuration: Self.config(.de))
        #expect(fr.first?.layoutHint == .fr)
    }

    @Test func capsLockOnAtOpen() async throws {
        let bytes = try ScanFixtures.load("us-hc1-capslock-on.bin")
        let right = try await Replay.evdev(bytes, configuration: Self.config(.us, caps: true))
        #expect(right.map(\.text.value) == [ScanFixtures.hc1])
        // Tracking CapsLock from "off" (Odoo's caveat) inverts the case of every letter.
        let wrong = try await Replay.evdev(bytes, configuration: Self.config(.us, caps: false))
        #expect(wrong.map(\.text.value) == ["hc1:6bf+70790t9wj$wg.fky*4go0 o1cv2-o5/zq%:ab12"])
    }

    @Test func altCodes() async throws {
        let events = try await Replay.evdev(try ScanFixtures.load("us-altcodes.bin"), configuration: Self.config(.us))
        #expect(events.map(\.text.value) == ["HC€é中码"])
        if case .unrecognised = events.first?.payload {} else { Issue.record("expected unrecognised") }
        #expect(events.first?.payload.guidance == .codeNotRecognised)
    }

    @Test func missingTerminatorEndsOnTheGap() async throws {
        let (r, w) = Replay.pipe()
        let source = EvdevScannerSource(
            fileDescriptor: r, name: "pipe", configuration: Self.config(.us, gap: .milliseconds(50)))
        var iterator = try source.start().makeAsyncIterator()
        await Replay.write(try ScanFixtures.load("us-id-no-terminator.bin"), to: w, close: false)
        let start = ContinuousClock.now
        let event = await iterator.next()  // the pipe stays open: only the gap timer can end this scan
        // Only "does not hang": the 50 ms gap timer fires seconds late when the whole suite loads two cores.
        #expect(ContinuousClock.now - start < .seconds(10))
        #expect(event?.text.value == ScanFixtures.idNumber)
        #expect(event?.payload.identity?.kind == .residentID)
        Glibc.close(w)
        #expect(await iterator.next() == nil)
        #expect(source.health.state == .absent)
    }

    @Test func burstSuppressesTheDuplicate() async throws {
        let events = try await Replay.evdev(try ScanFixtures.load("us-burst.bin"), configuration: Self.config(.us))
        #expect(events.map(\.text.value) == [ScanFixtures.idNumber, ScanFixtures.otherIDNumber])
        #expect(events.map { $0.payload.identity?.value } == [ScanFixtures.idNumber, ScanFixtures.otherIDNumber])
    }

    @Test func idNumbersValidAndInvalid() async throws {
        let events = try await Replay.evdev(try ScanFixtures.load("us-id-numbers.bin"), configuration: Self.config(.us))
        #expect(events.count == 2)
        #expect(
            events.first?.payload
                == .residentID(Identity(kind: .residentID, value: ScanFixtures.idNumber, isValidated: true)))
        #expect(
            events.last?.payload
                == .invalidResidentID(masked: "110***********1232", reason: .badCheckDigit(expected: "1")))
        #expect(events.last?.payload.guidance == .idNumberInvalid)
        #expect(!"\(events)".contains(ScanFixtures.idNumber))
    }

    @Test func keypadWithNumLock() async throws {
        let events = try await Replay.evdev(
            try ScanFixtures.load("us-keypad-numlock.bin"), configuration: Self.config(.us))
        #expect(events.map(\.text.value) == [ScanFixtures.otherIDNumber])
        #expect(events.first?.payload.identity?.isValidated == true)
    }

    @Test func shiftHeldNotToggled() async throws {
        let events = try await Replay.evdev(try ScanFixtures.load("us-shift-held.bin"), configuration: Self.config(.us))
        #expect(events.map(\.text.value) == ["RtTwtZDJe_"])
    }

    @Test func overLongScanIsDiscardedThenTheNextIsRead() async throws {
        var r = KeyRecorder(layout: .us)
        r.type(String(repeating: "7", count: 4100))
        r.enter()
        r.type(ScanFixtures.idNumber)
        r.enter()
        let events = try await Replay.evdev(r.bytes, configuration: Self.config(.us))
        #expect(events.count == 2)
        #expect(events.first?.payload == .tooLong(length: 4100))
        #expect(events.first?.text.value == "")
        #expect(events.last?.payload.identity?.value == ScanFixtures.idNumber)
    }

    @Test func exactlyTheMaximumIsAccepted() async throws {
        var r = KeyRecorder(layout: .us)
        r.type(String(repeating: "A", count: 4096))
        r.enter()
        let events = try await Replay.evdev(r.bytes, configuration: Self.config(.us))
        #expect(events.map(\.text.value.count) == [4096])
    }

    @Test func stopEndsTheStreamAndClosesTheDescriptor() async throws {
        let (r, w) = Replay.pipe()
        let source = EvdevScannerSource(fileDescriptor: r, name: "pipe")
        let events = try source.start()
        #expect(source.health.state == .ready)
        #expect(throws: ScannerError.alreadyRunning) { try source.start() }
        source.stop()
        #expect(await Replay.collect(events).isEmpty)
        #expect(source.health.state == .absent)
        // The read end is closed: writing now fails with EPIPE (SIGPIPE ignored for the check).
        signal(SIGPIPE, SIG_IGN)
        var byte: UInt8 = 0
        #expect(Glibc.write(w, &byte, 1) == -1 && errno == EPIPE)
        Glibc.close(w)
    }

    @Test func cancellingTheConsumerStopsTheSource() async throws {
        let (r, w) = Replay.pipe()
        defer { Glibc.close(w) }
        let source = EvdevScannerSource(fileDescriptor: r, name: "pipe")
        let events = try source.start()
        let task = Task { await Replay.collect(events) }
        try await Task.sleep(for: .milliseconds(20))
        task.cancel()
        _ = await task.value
        for _ in 0..<100 where source.health.state != .absent { try await Task.sleep(for: .milliseconds(10)) }
        #expect(source.health.state == .absent)
    }

    @Test func openingAMissingDeviceReportsAbsent() {
        let source = EvdevScannerSource(path: "/dev/input/event-does-not-exist")
        #expect(throws: ScannerError.self) { try source.start() }
        #expect(source.health.state == .absent)
    }
}
