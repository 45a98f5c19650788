import Foundation
import KioskTestSupport
@testable import SmartCard
import Synchronization
import VirtualCard

/// A test card with the PPSE directory of a PBOC debit card (cards.md §8.1). It answers SELECT PPSE with the 50-byte
/// FCI + 90 00, in one of three ways, and anything else with 6D 00 (instruction not supported).
struct PPSECard: CardImage {
    enum Style: Sendable {
        /// FCI + 90 00 at once.
        case direct
        /// `61 32`, then the FCI on GET RESPONSE `00 C0 00 00 32` (T=0 style).
        case moreData
        /// `6C 32` to any Le other than 0x32, then the FCI to the same command with Le = 0x32.
        case wrongLength
    }

    /// The ATR of the vpcd card the platform notes measured (negotiates T=1).
    static let cardATR = [UInt8](hex: "3B8F8001804F0CA000000306030001000000006A")!
    static let selectPPSE = [UInt8](hex: "00A404000E325041592E5359532E444446303100")!
    static let fci = [UInt8](hex: """
        6F 30 84 0E 32 50 41 59 2E 53 59 53 2E 44 44 46 30 31
        A5 1E BF 0C 1B 61 19 4F 08 A0 00 00 03 33 01 01 01
        50 0A 50 42 4F 43 20 44 45 42 49 54 87 01 01
        """)!

    var style: Style = .direct
    var atr: [UInt8] = Self.cardATR
    private var pendingGetResponse = false

    init(style: Style = .direct, atr: [UInt8] = Self.cardATR) {
        self.style = style
        self.atr = atr
    }

    mutating func respond(to command: [UInt8]) -> [UInt8] {
        let length = UInt8(Self.fci.count)
        if command.count >= 4, command[0...3] == [0x00, 0xC0, 0x00, 0x00], pendingGetResponse {
            pendingGetResponse = false
            return Self.fci + [0x90, 0x00]
        }
        guard command.count >= 19, Array(command[0...18]) == Array(Self.selectPPSE[0...18]) else {
            return [0x6D, 0x00]
        }
        switch style {
        case .direct:
            return Self.fci + [0x90, 0x00]
        case .moreData:
            pendingGetResponse = true
            return [0x61, length]
        case .wrongLength:
            return command.count == 20 && command[19] == length ? Self.fci + [0x90, 0x00] : [0x6C, length]
        }
    }

    mutating func reset() { pendingGetResponse = false }
}

/// Runs a ``ReaderMonitor`` and records its events, so tests can await them instead of sleeping blindly.
final class MonitorProbe: Sendable {
    let monitor: ReaderMonitor
    private final class Log: Sendable {
        let events = Mutex<[ReaderEvent]>([])
        let cursor = Mutex(0)
    }

    private let state = Log()
    private let consumer: Task<Void, Never>

    init(_ configuration: ReaderMonitor.Configuration = .init()) {
        let monitor = ReaderMonitor(configuration: configuration)
        self.monitor = monitor
        let state = self.state
        monitor.start()
        consumer = Task {
            for await event in monitor.events { state.events.withLock { $0.append(event) } }
        }
    }

    struct Timeout: Error, CustomStringConvertible {
        var waitingFor: String
        var seen: [ReaderEvent]
        var description: String { "timed out waiting for \(waitingFor); events after cursor: \(seen)" }
    }

    /// Waits for the next event after the cursor that satisfies `predicate` and moves the cursor past it. Events
    /// before it are skipped (they are still in ``all``).
    @discardableResult
    func next(
        _ what: String, timeout: Duration = .seconds(5), where predicate: (ReaderEvent) -> Bool
    ) async throws -> ReaderEvent {
        let deadline = ContinuousClock.now + timeout
        while true {
            let start = state.cursor.withLock { $0 }
            let events = state.events.withLock { $0 }
            if let index = events[start...].firstIndex(where: predicate) {
                state.cursor.withLock { $0 = index + 1 }
                return events[index]
            }
            if ContinuousClock.now >= deadline { throw Timeout(waitingFor: what, seen: Array(events[start...])) }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Events after the cursor, without moving it.
    var pending: [ReaderEvent] {
        let start = state.cursor.withLock { $0 }
        return state.events.withLock { Array($0[start...]) }
    }

    /// Moves the cursor to the end.
    func skipAll() { state.cursor.withLock { $0 = state.events.withLock { $0.count } } }

    var all: [ReaderEvent] { state.events.withLock { $0 } }

    func stop() async {
        monitor.stop()
        await monitor.waitUntilStopped()
        await consumer.value
    }
}

extension ReaderEvent {
    func isCardPresent(in reader: String) -> Bool {
        if case .cardPresent(reader, _, _) = self { true } else { false }
    }
    func isCardRemoved(from reader: String) -> Bool {
        self == .cardRemoved(reader: reader)
    }
    var atr: [UInt8]? {
        if case .cardPresent(_, let atr, _) = self { atr } else { nil }
    }
    var instant: ContinuousClock.Instant? {
        if case .cardPresent(_, _, let at) = self { at } else { nil }
    }
}

/// Percentile of sorted samples (nearest rank).
func percentile(_ sorted: [Duration], _ p: Double) -> Duration {
    let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
    return sorted[max(0, min(sorted.count - 1, rank))]
}

extension Duration {
    var ms: String {
        let (s, atto) = components
        let value = Double(s) * 1000 + Double(atto) / 1e15
        return String(format: "%.3f ms", value)
    }
}

extension PCSCDHarness {
    /// Puts `image` into reader `index` (once pcscd reports it empty), runs `body`, then removes the card and waits
    /// until pcscd reports the reader empty again, so the next test starts from an empty reader.
    func withCard<T>(
        in index: Int, _ image: some CardImage, removeAfterAPDUs: Int? = nil,
        _ body: (VirtualCardSlot) async throws -> T
    ) async throws -> T {
        try await waitForReader(index, hasCard: false)
        let slot = slot(index)
        try slot.insert(image, removeAfterAPDUs: removeAfterAPDUs)
        do {
            let result = try await body(slot)
            try await remove(slot, waitingForReader: index)
            return result
        } catch {
            try? await remove(slot, waitingForReader: index)
            throw error
        }
    }
}
