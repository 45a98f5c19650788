import Foundation
import KioskCore
import SmartCard
import Synchronization
import VirtualCard

/// Collects a ``SAMReader``'s events as they come, so tests await the one they need instead of sleeping.
final class SAMEventLog: Sendable {
    private final class Storage: Sendable {
        let events = Mutex<[SAMReaderEvent]>([])
        let finished = Atomic<Bool>(false)
    }

    private let storage = Storage()
    private let cursor = Mutex(0)

    init(_ stream: AsyncStream<SAMReaderEvent>) {
        Task { [storage] in
            for await event in stream { storage.events.withLock { $0.append(event) } }
            storage.finished.store(true, ordering: .releasing)
        }
    }

    var all: [SAMReaderEvent] { storage.events.withLock { $0 } }
    var isFinished: Bool { storage.finished.load(ordering: .acquiring) }

    /// The first event after the last one returned that matches, waiting up to `timeout`; `nil` on timeout.
    func next(
        timeout: Duration = .seconds(20), where predicate: (SAMReaderEvent) -> Bool
    ) async -> SAMReaderEvent? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let found = storage.events.withLock { events -> (Int, SAMReaderEvent)? in
                let start = cursor.withLock { $0 }
                guard start < events.count else { return nil }
                return events[start...].enumerated().first { predicate($0.element) }
                    .map { (start + $0.offset, $0.element) }
            }
            if let (index, event) = found {
                cursor.withLock { $0 = index + 1 }
                return event
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return nil
    }

    /// Waits until the stream has finished.
    func waitUntilFinished(timeout: Duration = .seconds(5)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !isFinished, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
        return isFinished
    }
}

extension SAMReaderEvent {
    var cardData: IDCardData? {
        if case .cardRead(let data, _) = self { return data }
        return nil
    }
    var readFailure: SAMReadFailure? {
        if case .readFailed(let failure, _) = self { return failure }
        return nil
    }
    var isCardRemoved: Bool {
        if case .cardRemoved = self { return true }
        return false
    }
    var isModuleReady: Bool {
        if case .moduleReady = self { return true }
        return false
    }
    var isModuleLost: Bool {
        if case .moduleLost = self { return true }
        return false
    }
    var isCardEvent: Bool { cardData != nil || readFailure != nil || isCardRemoved }
}

/// A pseudo-terminal with the module emulator on its primary and a reader on its replica.
struct SAMRig: ~Copyable {
    let terminal: PseudoTerminal
    let emulator: SAMModuleEmulator
    let reader: SAMReader
    let log: SAMEventLog

    /// Test timings: quick polls and timeouts so the suite stays fast; the read itself still takes its time on the
    /// wire (the pty does not model the baud rate, so it is faster than a real line).
    static func configuration(
        path: String, pollInterval: Duration = .milliseconds(20), commandTimeout: Duration = .seconds(1)
    ) -> SAMReader.Configuration {
        SAMReader.Configuration(
            devicePath: path, pollInterval: pollInterval, commandTimeout: commandTimeout, timeoutsBeforeModuleLost: 3,
            removalConfirmations: 2, readAttempts: 2, initialReopenDelay: .milliseconds(20),
            maximumReopenDelay: .milliseconds(200))
    }

    init(card: SAMCardImage? = .wangXiaoce, configure: (inout SAMReader.Configuration) -> Void = { _ in }) throws {
        terminal = try PseudoTerminal()
        emulator = SAMModuleEmulator(pseudoTerminal: terminal, card: card)
        emulator.start()
        var configuration = Self.configuration(path: terminal.replicaPath)
        configure(&configuration)
        reader = SAMReader(configuration: configuration)
        log = SAMEventLog(reader.events)
        reader.start()
    }

    deinit {
        reader.stop()
        emulator.stop()
        terminal.close()
    }
}
