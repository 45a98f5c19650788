import Barcode
import KioskCore
import Logging
import Synchronization
import Testing

/// Captures log records in memory (swift-log best practice 004: never bootstrap the global system in tests).
final class CapturingLogHandler: LogHandler, Sendable {
    let records = Mutex<[String]>([])
    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }
    var logLevel: Logger.Level {
        get { .trace }
        set {}
    }
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }
    func log(event: LogEvent) {
        let line = "\(event.message) \(event.metadata ?? [:])"
        records.withLock { $0.append(line) }
    }
}

struct PrivacyTests {
    @Test func rawIDsAndTokensNeverReachTheLog() async throws {
        let handler = CapturingLogHandler()
        let logger = Logger(label: "test", factory: { _ in handler })
        let token = "BJJKB:TOKEN-SECRET-123"
        var r = KeyRecorder(layout: .us)
        for text in [ScanFixtures.idNumber, ScanFixtures.idNumber, ScanFixtures.idNumberBadCheck, token] {
            r.type(text)
            r.enter()
        }
        let (read, write) = Replay.pipe()
        let source = EvdevScannerSource(
            fileDescriptor: read, name: "pipe", logger: logger)
        let events = try source.start()
        async let collected = Replay.collect(events)
        await Replay.write(r.bytes, to: write, close: true)
        let scans = await collected
        #expect(scans.count == 3)
        #expect(scans.last?.payload.identity?.value == token)
        let log = handler.records.withLock { $0 }.joined(separator: "\n")
        #expect(log.contains("scan"))
        for secret in [ScanFixtures.idNumber, ScanFixtures.idNumberBadCheck, "SECRET", "12104605"] {
            #expect(!log.contains(secret), "log contains \(secret)")
        }
        for scan in scans {
            #expect(!"\(scan)".contains(ScanFixtures.idNumber) && !"\(scan)".contains("SECRET"))
        }
    }
}
