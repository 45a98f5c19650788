import Barcode
import Display
import Foundation
import KioskCore
import KioskDaemon
import KioskTestSupport
import Logging
import Synchronization
import Testing
import VirtualCard

#if canImport(Glibc)
import Glibc
#endif

/// Everything `kioskd` logs during real taps, at trace level: cards on pcscd's vpcd reader (a senior card with its
/// PAN, ID number and name; one whose ID number fails its check) and scanned ID numbers through a FIFO scanner.
/// No entry may hold a raw ID number, PAN or name; each tap's entry carries the structured fields.
///
/// The logs are captured by a handler given to this kiosk's own `Logger` (no `LoggingSystem.bootstrap`, which is
/// process-wide and would clash with other suites).
@Suite(
    .serialized, .pcscdExclusive,
    .enabled(if: PCSCDHarness.isEnabled, "needs root, unshare, pcscd and vsmartcard-vpcd"))
struct LogPrivacyEndToEndTests {
    static let secrets = [
        "110101194605121231", "110101194605121230", "110101194605121232", "6299999900000000014", "6299999900000000022",
        "王小测", "钱错号",
    ]

    @Test func aFullRunLogsNoIdentityAndStructuredTapFields() async throws {
        let store = RecordingLogHandler.Store()
        var assembly = KioskUnderTest.Assembly()
        assembly.logHandler = { label in RecordingLogHandler(label: label, store: store) }

        let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("kiosk-log-scanner-\(UUID())").path
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        let writer = open(fifo, O_RDWR)
        #expect(writer >= 0)
        defer { close(writer) }

        try await KioskUnderTest.with(
            status: "homeObservation", popup: 2,
            configure: {
                $0.scanners = ScannerSettings(discover: false, devices: [fifo], keyboardLayout: .us)
                $0.scanHoldSeconds = 0.2
            }, assembly: assembly
        ) { kiosk in
            let slot = kiosk.harness.slot(0)
            try slot.insert(PBOCCardImage())
            _ = try await kiosk.nextFrame("senior card") { $0.screen.kind == .result(.homeObservation) }
            try await kiosk.harness.remove(slot, waitingForReader: 0)

            try slot.insert(PBOCCardImage(pan: "6299999900000000022", name: "钱错号", idNumber: "110101194605121230"))
            _ = try await kiosk.nextFrame("card with a bad ID number") { $0.tapToFrame != nil }
            try await kiosk.harness.remove(slot, waitingForReader: 0)

            let recording = try Data(
                contentsOf: ScanEndToEndTests.fixtures.appendingPathComponent("us-id-numbers.bin"))
            #expect(recording.withUnsafeBytes { write(writer, $0.baseAddress, $0.count) } == recording.count)
            _ = try await kiosk.nextFrame("scan") { $0.tapToFrame != nil && $0.screen.kind == .result(.homeObservation) }
            _ = try await kiosk.nextFrame("bad scan") { $0.tapToFrame != nil && $0.screen.kind == .invalidID }
        }

        let entries = store.entries.withLock { $0 }
        #expect(entries.count > 10, "too few log entries captured: \(entries.count)")
        for entry in entries {
            for secret in Self.secrets {
                #expect(!entry.text.contains(secret), "log entry holds \(secret): \(entry.text)")
            }
        }
        let taps = entries.filter { $0.message == "tap shown" }
        #expect(taps.count == 4, "\(taps.map(\.text))")
        for tap in taps {
            for field in ["kiosk.event", "kiosk.result", "kiosk.reader", "kiosk.latency_ms"] {
                #expect(tap.metadata[field] != nil, "tap entry without \(field): \(tap.text)")
            }
        }
        let resolved = try #require(taps.first { $0.metadata["kiosk.provenance"] == "snapshot" })
        #expect(resolved.metadata["kiosk.event"] == "card_tap")
        #expect(resolved.metadata["kiosk.result"] == "homeObservation")
        #expect(Int(resolved.metadata["kiosk.snapshot_age_s"] ?? "") != nil)
        #expect(resolved.metadata["kiosk.subject"]?.count == 32, "the subject key, hex")
        #expect(taps.contains { $0.metadata["kiosk.event"] == "qr_scan" })
    }
}

/// A swift-log handler that keeps every entry (level, message, handler and call metadata merged) for assertions.
struct RecordingLogHandler: LogHandler {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
        var text: String
    }

    final class Store: Sendable {
        let entries = Mutex<[Entry]>([])
    }

    let label: String
    let store: Store
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let (level, message) = (event.level, event.message)
        var merged = self.metadata.merging(event.metadata ?? [:]) { _, new in new }
        if let error = event.error { merged["error"] = "\(error)" }
        let flat = merged.mapValues { "\($0)" }
        let text = "\(level) \(label): \(message) \(flat.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })"
        store.entries.withLock { $0.append(Entry(level: level, message: "\(message)", metadata: flat, text: text)) }
    }
}

/// The journal line format: syslog priority prefix, message, sorted fields, one line.
struct JournalLogHandlerTests {
    @Test func linesCarryThePriorityAndSortedFields() {
        let lines = Mutex<[String]>([])
        var logger = Logger(label: "kioskd") { _ in
            JournalLogHandler(level: .info) { line in lines.withLock { $0.append(line) } }
        }
        logger[metadataKey: "kiosk.reader"] = "Reader 00 00"
        logger.info("tap shown", metadata: ["kiosk.latency_ms": "12.31", "kiosk.event": "card_tap"])
        logger.warning("input failing\nsecond line")
        logger.debug("below the level")
        #expect(
            lines.withLock { $0 } == [
                "<6>tap shown kiosk.event=card_tap kiosk.latency_ms=12.31 kiosk.reader=Reader 00 00\n",
                "<4>input failing second line kiosk.reader=Reader 00 00\n",
            ])
        #expect(JournalLogHandler.priority(.error) == 3)
        #expect(JournalLogHandler.priority(.notice) == 5)
    }
}
