import Barcode
import Foundation
import KioskCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// ``ScannerManager`` when scanners come and go (the unit side of the fault matrix; the kiosk side is
/// `FaultMatrixInputTests`). A FIFO stands in for a configured device node.
struct ScannerManagerFaultTests {
    /// A FIFO in a fresh directory, and its writer opened read-write (no wait for a reader).
    static func fifo() throws -> (path: String, writer: Int32, directory: URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("scan-fault-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("event0").path
        guard mkfifo(path, 0o600) == 0 else { throw CocoaError(.fileWriteUnknown) }
        return (path, open(path, O_RDWR), directory)
    }

    /// `body`'s result, or a thrown failure after `limit` ("does not hang").
    static func within<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            let first = try await group.next()!
            group.cancelAll()
            guard let value = first else { throw TimedOut(limit: limit) }
            return value
        }
    }

    struct TimedOut: Error, CustomStringConvertible {
        var limit: Duration
        var description: String { "nothing within \(limit)" }
    }

    static func configuration(_ path: String) -> ScannerManagerConfiguration {
        var configuration = ScannerManagerConfiguration()
        configuration.discover = false
        configuration.devices = [ScannerDevice(path: path, kind: .evdev)]
        configuration.reopenInterval = .milliseconds(100)
        return configuration
    }

    /// The health board subscribes after the devices were opened (the kiosk starts both at once): it must still
    /// learn that the scanner is ready, or the kiosk counts no scanner.
    @Test func aLateHealthSubscriberStillLearnsTheScannerIsReady() async throws {
        let (path, writer, directory) = try Self.fifo()
        defer {
            close(writer)
            try? FileManager.default.removeItem(at: directory)
        }
        let manager = ScannerManager(configuration: Self.configuration(path))
        _ = try manager.start()
        defer { manager.stop() }
        let deadline = ContinuousClock.now + .seconds(20)
        while manager.health.first?.state != .ready, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        try #require(manager.health.first?.state == .ready)
        let updates = manager.healthUpdates()
        let first = try await Self.within(.seconds(20)) {
            var iterator = updates.makeAsyncIterator()
            return await iterator.next()
        }
        #expect(first?.name == path)
        #expect(first?.state == .ready)
    }

    /// A configured device that ends (end of file: unplugged) is absent, then opened again when it is back, and
    /// reads scans again.
    @Test func aConfiguredDeviceThatWentAwayIsOpenedAgain() async throws {
        let (path, writer, directory) = try Self.fifo()
        defer { try? FileManager.default.removeItem(at: directory) }
        let manager = ScannerManager(configuration: Self.configuration(path))
        let health = manager.healthUpdates()
        let events = try manager.start()
        defer { manager.stop() }
        let (states, reopened) = try await Self.within(.seconds(20)) { () -> ([InputHealth.State], Int32) in
            var states: [InputHealth.State] = []
            var reopened: Int32 = -1
            for await update in health where update.name == path {
                guard states.last != update.state else { continue }  // the manager may repeat a state
                states.append(update.state)
                if states == [.ready] { close(writer) }  // unplugged
                if states == [.ready, .absent] { reopened = open(path, O_RDWR) }  // back
                if states == [.ready, .absent, .ready] { break }
            }
            return (states, reopened)
        }
        #expect(states == [.ready, .absent, .ready])
        try #require(reopened >= 0)
        defer { close(reopened) }
        // Alt+49 Alt+13 typed on the keypad: "1" and Enter.
        var bytes: [UInt8] = []
        for code in ["49", "13"] {
            bytes += InputEvent.key(KeyCode.leftAlt, 1).bytes + InputEvent.syn().bytes
            for digit in code {
                let key = KeyCode.keypad(Int(String(digit))!)
                bytes += InputEvent.key(key, 1).bytes + InputEvent.syn().bytes
                bytes += InputEvent.key(key, 0).bytes + InputEvent.syn().bytes
            }
            bytes += InputEvent.key(KeyCode.leftAlt, 0).bytes + InputEvent.syn().bytes
        }
        #expect(bytes.withUnsafeBytes { write(reopened, $0.baseAddress, $0.count) } == bytes.count)
        let scan = try await Self.within(.seconds(20)) { () -> ScanEvent? in
            var iterator = events.makeAsyncIterator()
            return await iterator.next()
        }
        #expect(scan?.text.value == "1")
        #expect(scan?.source == path)
    }
}
