import Barcode
import Display
import Foundation
import KioskCore
import KioskDaemon
import KioskTestSupport
import Logging
import Resolution
import SmartCard
import Testing
import VirtualCard

#if canImport(Glibc)
import Glibc
#endif

/// The fault matrix for barcode scanners and the SAM ID-card reader (issue 7), end to end through the kiosk
/// service: a serial scanner on a real pseudo-terminal, a keyboard-wedge scanner on a FIFO, the SAM module played on
/// a pseudo-terminal. Every row asserts the screen, the log line and that the next scan or ID card works.
@Suite(
    .serialized, .pcscdExclusive,
    .enabled(if: PCSCDHarness.isEnabled, "needs root, unshare, pcscd and vsmartcard-vpcd"))
struct FaultMatrixInputTests {
    static let idNumber = "110101194605121231"

    // MARK: the steps every scanner row shares

    /// A kiosk reading one serial scanner on a fresh pseudo-terminal; `body` runs once the scanner is open, with the
    /// kiosk, its log and the pseudo-terminal (the test writes what the scanner sends to its primary side).
    static func withSerialScanner(
        status: String, _ body: (KioskUnderTest, FaultLog, SmartCard.PseudoTerminal) async throws -> Void
    ) async throws {
        let pty = try SmartCard.PseudoTerminal()
        defer { pty.close() }
        let log = FaultLog()
        try await KioskUnderTest.with(
            status: status,
            configure: {
                $0.scanners = ScannerSettings(discover: false, devices: ["serial:\(pty.replicaPath)"])
                $0.scanHoldSeconds = 30
            }, assembly: log.assembly
        ) { kiosk in
            _ = try await log.waitFor("serial scanner opened", since: 0) { $0.message == "serial scanner opened" }
            try await body(kiosk, log, pty)
        }
    }

    /// A kiosk reading one keyboard-wedge scanner (US layout) from a fresh FIFO named after `name`; `writer`, the
    /// FIFO's write end, is open before the kiosk starts so its reader does not see end of file. `body` gets the
    /// kiosk, its log, the FIFO's path and `writer`, and closes `writer` itself when `bodyClosesWriter` (to unplug
    /// the scanner); otherwise it is closed after the kiosk stops.
    static func withWedgeScanner(
        status: String, _ name: String, bodyClosesWriter: Bool = false,
        _ body: (KioskUnderTest, FaultLog, _ fifo: String, _ writer: Int32) async throws -> Void
    ) async throws {
        let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("kiosk-fault-\(name)-\(UUID())").path
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        let writer = open(fifo, O_RDWR)
        try #require(writer >= 0)
        defer { if !bodyClosesWriter { close(writer) } }
        let log = FaultLog()
        try await KioskUnderTest.with(
            status: status,
            configure: {
                $0.scanners = ScannerSettings(discover: false, devices: [fifo], keyboardLayout: .us)
                $0.scanHoldSeconds = 30
            }, assembly: log.assembly
        ) { kiosk in
            try await body(kiosk, log, fifo, writer)
        }
    }

    /// The next scan after a row's fault: `bytes` written to `scanner` (on their own thread, as ``writeAll`` cuts
    /// them) give a tap frame, the first one that is not `previous` where the screen may still show the last scan's
    /// status, and it shows `kind`.
    @discardableResult
    static func expectNextScan(
        _ bytes: [UInt8], to scanner: Int32, chunk: Int? = nil, waitUntilRead: Bool = false, kiosk: KioskUnderTest,
        after previous: Screen.Kind? = nil, shows kind: Screen.Kind, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> DrawnFrame {
        try await onOwnThread("next scan") {
            try writeAll(bytes, to: scanner, chunk: chunk, waitUntilRead: waitUntilRead)
        }
        let next = try await kiosk.nextFrame("next scan", timeout: .seconds(20), sourceLocation: sourceLocation) {
            $0.tapToFrame != nil && $0.screen.kind != previous
        }
        #expect(next.screen.kind == kind, sourceLocation: sourceLocation)
        return next
    }

    // MARK: serial scanner: 4 KB, too long, invalid UTF-8

    enum ScanFault: String, CaseIterable, Sendable, CustomTestStringConvertible {
        /// Exactly the 4096-byte maximum, not a code the kiosk knows.
        case fourKilobytes
        /// Over the maximum: discarded unread.
        case overLong
        /// Bytes that are neither UTF-8 nor GB 18030.
        case invalidUTF8

        var bytes: [UInt8] {
            switch self {
            case .fourKilobytes: Array(repeating: UInt8(ascii: "A"), count: 4096) + [0x0D]
            case .overLong: Array(repeating: UInt8(ascii: "7"), count: 5000) + [0x0D]
            case .invalidUTF8: [0xFF, 0xFE, 0x80, 0xC3, 0x28, 0xFF] + [0x0D]
            }
        }

        /// What the log's `kiosk.error` (the masked payload) starts with.
        var logged: String {
            switch self {
            case .fourKilobytes: "not recognised"
            case .overLong: "too long"
            case .invalidUTF8: "undecodable"
            }
        }

        var testDescription: String { rawValue }
    }

    @Test(arguments: ScanFault.allCases)
    func unusableSerialScanSaysCodeNotRecognisedAndTheNextScanWorks(fault: ScanFault) async throws {
        try await Self.withSerialScanner(status: "homeObservation") { kiosk, log, pty in
            let primary = pty.primary
            let mark = log.count
            try await onOwnThread("scan") { try writeAll(fault.bytes, to: primary) }
            let frame = try await kiosk.nextFrame("\(fault)", timeout: .seconds(20)) { $0.tapToFrame != nil }
            #expect(frame.screen.kind == .codeNotRecognised(.codeNotRecognised), "\(fault)")
            _ = try await kiosk.terminal.waitForText("无法识别此二维码")
            let line = try await log.tapShown(since: mark)
            #expect(line.metadata["kiosk.event"] == "qr_scan")
            #expect(line.metadata["kiosk.result"] == "notUsable")
            #expect(line.metadata["kiosk.error"]?.hasPrefix(fault.logged) == true, "\(line.text.prefix(300))")
            #expect(try kiosk.visits.count() == 0)

            let next = try await Self.expectNextScan(
                Array("\(Self.idNumber)\r".utf8), to: primary, kiosk: kiosk, shows: .result(.homeObservation))
            #expect(next.screen.maskedID == "110***********1231")
            #expect(try kiosk.visits.count() == 1)
        }
    }

    // MARK: serial scanner: a burst of 1,000 scans

    /// 999 different unusable codes and then an ID number, as fast as the pty takes them: the kiosk keeps up without
    /// hanging (older scans may be dropped while it draws), ends on the last scan's status, and the next scan works.
    @Test func burstOfAThousandScansEndsOnTheLastAndTheNextScanWorks() async throws {
        try await Self.withSerialScanner(status: "homeObservation") { kiosk, log, pty in
            let primary = pty.primary
            var burst: [UInt8] = []
            for index in 0..<999 { burst += Array("NOISE-\(index)\r".utf8) }
            burst += Array("\(Self.idNumber)\r".utf8)
            let bytes = burst
            let mark = log.count
            let started = ContinuousClock.now
            try await onOwnThread("burst") { try writeAll(bytes, to: primary) }
            let last = try await kiosk.nextFrame("the burst's last scan", timeout: .seconds(60)) {
                $0.tapToFrame != nil && $0.screen.kind == .result(.homeObservation)
            }
            #expect(last.screen.maskedID == "110***********1231")
            let line = try await log.waitFor("the last scan's line", since: mark) {
                $0.message == "tap shown" && $0.metadata["kiosk.result"] == "homeObservation"
            }
            #expect(line.metadata["kiosk.event"] == "qr_scan")
            let shown = log.tapsShown(since: mark)
            #expect(shown.dropLast().allSatisfy { $0.metadata["kiosk.result"] == "notUsable" })
            #expect(try kiosk.visits.count() == 1, "only the ID number is a visit")
            // Every scan is either shown or logged as dropped; the first drop of a burst is a warning.
            let dropped = log.entries(since: mark).filter { $0.message.hasPrefix("scan dropped") }
            #expect(shown.count + dropped.count == 1000, "\(shown.count) shown, \(dropped.count) dropped")
            if let first = dropped.first {
                #expect(first.level == .warning)
                #expect(first.metadata["kiosk.scanner"] == pty.replicaPath)
            }
            print(
                "fault matrix: burst of 1,000 serial scans: \(shown.count) shown, \(dropped.count) dropped while busy, "
                    + "last shown after " + String(format: "%.0f ms", (ContinuousClock.now - started).milliseconds))

            let after = log.count
            try await Self.expectNextScan(
                Array("110101194605121232\r".utf8), to: primary, kiosk: kiosk, after: .result(.homeObservation),
                shows: .invalidID)
            #expect(try await log.tapShown(since: after).metadata["kiosk.result"] == "invalidID")
        }
    }

    // MARK: keyboard-wedge scanner: ALT codes split across reads, unplugged mid-scan

    /// The keystrokes of `text` typed as Alt codes (Alt held, the decimal code on the keypad, Alt released), as
    /// `input_event` records; `enter` adds Alt+13.
    static func altCodeEvents(_ text: String, enter: Bool) -> [UInt8] {
        var events: [InputEvent] = []
        func tap(_ code: UInt16) {
            events += [.key(code, 1), .syn(), .key(code, 0), .syn()]
        }
        let codes = text.unicodeScalars.map { Int($0.value) } + (enter ? [13] : [])
        for code in codes {
            events += [.key(KeyCode.leftAlt, 1), .syn()]
            for digit in String(code) { tap(KeyCode.keypad(Int(String(digit))!)) }
            events += [.key(KeyCode.leftAlt, 0), .syn()]
        }
        return events.flatMap(\.bytes)
    }

    /// An ID number typed entirely in Alt codes, written to the FIFO in pieces of 541 bytes (cutting `input_event`
    /// records and Alt sequences apart), each read before the next is written: the decoder puts the code back
    /// together across reads and the person's status is shown. (The pieces follow each other at once: a pause of
    /// 100 ms would end the scan, as the inter-key gap of a real scanner does.)
    @Test func altCodesSplitAcrossReadsStillGiveTheIDNumber() async throws {
        try await Self.withWedgeScanner(status: "centralizedObservation", "wedge") { kiosk, log, _, writer in
            let mark = log.count
            let bytes = Self.altCodeEvents(Self.idNumber, enter: true)
            try await onOwnThread("alt codes") { try writeAll(bytes, to: writer, chunk: 541, waitUntilRead: true) }
            let frame = try await kiosk.nextFrame("alt-code scan", timeout: .seconds(20)) { $0.tapToFrame != nil }
            let line = try await log.tapShown(since: mark)
            #expect(frame.screen.kind == .result(.centralizedObservation), "\(line.metadata["kiosk.error"] ?? "-")")
            #expect(frame.screen.maskedID == "110***********1231")
            #expect(line.metadata["kiosk.event"] == "qr_scan")
            #expect(line.metadata["kiosk.result"] == "centralizedObservation")
            #expect(try kiosk.visits.count() == 1)

            // The next scan: the same number typed plainly in Alt codes again, but as another code (a bad check
            // digit) so that the duplicate filter does not drop it.
            let after = log.count
            try await Self.expectNextScan(
                Self.altCodeEvents("110101194605121232", enter: true), to: writer, chunk: 389, waitUntilRead: true,
                kiosk: kiosk, after: .result(.centralizedObservation), shows: .invalidID)
            #expect(try await log.tapShown(since: after).metadata["kiosk.result"] == "invalidID")
        }
    }

    /// The scanner goes away (its FIFO loses its writer: end of file) halfway through a code: nothing is shown for
    /// the half code, the log says the scanner closed and is absent; when it is back, the next scan works.
    @Test func scannerUnpluggedMidScanThenBackTheNextScanWorks() async throws {
        try await Self.withWedgeScanner(status: "homeObservation", "unplug", bodyClosesWriter: true) {
            kiosk, log, fifo, writer in
            _ = try await log.waitFor("scanner ready", since: 0) {
                $0.metadata["kiosk.device"] == fifo && $0.message.contains("ready")
            }
            let mark = log.count
            let half = Self.altCodeEvents(String(Self.idNumber.prefix(9)), enter: false)
            try await onOwnThread("half a scan, then unplug") {
                try writeAll(half, to: writer)
                close(writer)
            }
            let closed = try await log.waitFor("scanner closed", since: mark) { $0.message == "scanner closed" }
            #expect(closed.metadata["kiosk.end"] == "endOfFile")
            _ = try await log.waitFor("scanner absent", since: mark) {
                $0.level == .notice && $0.metadata["kiosk.device"] == fifo && $0.message.contains("absent")
            }
            #expect(log.tapsShown(since: mark).isEmpty, "half a code is not a scan")
            #expect(try kiosk.visits.count() == 0)

            // Plugged back in: the configured device is opened again and the next scan is read.
            let back = open(fifo, O_RDWR)
            try #require(back >= 0)
            defer { close(back) }
            let replug = log.count
            _ = try await log.waitFor("scanner ready again", since: replug) {
                $0.metadata["kiosk.device"] == fifo && $0.message.contains("ready")
            }
            try await Self.expectNextScan(
                Self.altCodeEvents(Self.idNumber, enter: true), to: back, kiosk: kiosk,
                shows: .result(.homeObservation))
            #expect(try await log.tapShown(since: replug).metadata["kiosk.event"] == "qr_scan")
            #expect(try kiosk.visits.count() == 1)
        }
    }

    // MARK: SAM ID-card reader

    enum SAMFault: String, CaseIterable, Sendable, CustomTestStringConvertible {
        /// The ID card leaves the field during the read.
        case cardRemovedMidRead
        /// The module's answer to the read comes with a bad checksum.
        case corruptFrame
        /// The module stops answering altogether, then comes back.
        case moduleSilent

        var testDescription: String { rawValue }
    }

    @Test(arguments: SAMFault.allCases)
    func samFaultThenTheNextIDCardWorks(fault: SAMFault) async throws {
        let pty = try SmartCard.PseudoTerminal()
        defer { pty.close() }
        let module = SAMModuleEmulator(descriptor: pty.primary, card: nil)
        module.start()
        defer { module.stop() }
        let log = FaultLog()
        let device = pty.replicaPath
        try await KioskUnderTest.with(
            status: "homeObservation",
            configure: {
                $0.samDevicePath = device
                $0.scanners.discover = false
            }, assembly: log.assembly
        ) { kiosk in
            _ = try await log.waitFor("SAM module ready", since: 0) {
                $0.metadata["kiosk.device"] == device && $0.message.contains("ready")
            }
            let mark = log.count
            switch fault {
            case .cardRemovedMidRead:
                module.takeCardAwayDuringNextRead()
                module.insert(SAMCardImage.wangXiaoce)
                let frame = try await kiosk.nextFrame("read failed", timeout: .seconds(20)) { $0.tapToFrame != nil }
                #expect(frame.screen.kind == .unreadableCard(.tapAgain))
                let line = try await log.tapShown(since: mark)
                #expect(line.metadata["kiosk.event"] == "id_card")
                #expect(line.metadata["kiosk.result"] == "notUsable")
                #expect(line.metadata["kiosk.error"]?.hasPrefix("read failed") == true, "\(line.text)")
                #expect(try kiosk.visits.count() == 0)
                module.removeCard()

            case .corruptFrame:
                module.corruptNextReply(to: .readText)
                module.insert(SAMCardImage.wangXiaoce)
                // The corrupt reply is dropped and the read tried again: the person sees their status.
                let frame = try await kiosk.nextFrame("read despite a corrupt frame", timeout: .seconds(20)) {
                    $0.tapToFrame != nil
                }
                #expect(frame.screen.kind == .result(.homeObservation))
                let attempt = try await log.waitFor("failed attempt", since: mark) {
                    $0.message == "sam read attempt failed"
                }
                #expect(attempt.metadata["kiosk.reason"]?.hasPrefix("corrupt reply") == true, "\(attempt.text)")
                #expect(try await log.tapShown(since: mark).metadata["kiosk.result"] == "homeObservation")
                #expect(module.count(of: .readText) == 2)
                #expect(try kiosk.visits.count() == 1)
                module.removeCard()
                _ = try await kiosk.nextFrame("idle after the card left", timeout: .seconds(20)) {
                    $0.screen.kind == .idle
                }

            case .moduleSilent:
                module.insert(SAMCardImage.wangXiaoce)
                _ = try await kiosk.nextFrame("ID card", timeout: .seconds(20)) {
                    $0.screen.kind == .result(.homeObservation)
                }
                #expect(try kiosk.visits.count() == 1)
                module.isSilent = true
                // The card's presence ends with the module, so the screen goes back to idle; the technician sees
                // the module failing in the log.
                _ = try await kiosk.nextFrame("idle once the module is lost", timeout: .seconds(20)) {
                    $0.screen.kind == .idle
                }
                let failing = try await log.waitFor("SAM failing", since: mark) {
                    $0.level == .warning && $0.metadata["kiosk.device"] == device
                }
                #expect(failing.metadata["kiosk.input"] == "sam")
                module.removeCard()
                let back = log.count
                module.isSilent = false
                _ = try await log.waitFor("SAM ready again", since: back) {
                    $0.metadata["kiosk.device"] == device && $0.message.contains("ready")
                }
            }

            // The next ID card is read and shown.
            let next = log.count
            try await Task.sleep(for: .milliseconds(300))
            module.insert(SAMCardImage.wangXiaoce)
            let frame = try await kiosk.nextFrame("next ID card", timeout: .seconds(20)) {
                $0.tapToFrame != nil && $0.screen.kind == .result(.homeObservation)
            }
            #expect(frame.screen.maskedID == "110***********1231")
            #expect(try await log.tapShown(since: next).metadata["kiosk.event"] == "id_card")
            module.removeCard()
        }
    }
}
