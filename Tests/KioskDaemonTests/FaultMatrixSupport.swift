import Display
import Foundation
import KioskCore
import KioskDaemon
import KioskTestSupport
import Resolution
import Synchronization
import Testing
import VirtualCard

#if canImport(Glibc)
import Glibc
#endif

/// What the fault matrix suites (``FaultMatrixCardTests``, ``FaultMatrixInputTests``) share.
///
/// Each row of the matrix drives the real kiosk service (``KioskUnderTest``) into one fault and asserts three things:
/// the screen the person sees (the drawn ``Display/Screen``), the log line the technician finds (captured here at
/// trace level), and that the next tap or scan after the fault shows the right status.
enum FaultMatrix {
    /// `KIOSK_FAULT_MATRIX_LONG=1` (for `make soak`): after every pulled card, also a whole tap, and two more card
    /// variants (T=0 GET RESPONSE, no PPSE/PSE); the default run checks the whole tap once per profile, after the
    /// last pull.
    static let long = ProcessInfo.processInfo.environment["KIOSK_FAULT_MATRIX_LONG"] == "1"
}

/// The kiosk's log, captured by a ``RecordingLogHandler`` given to the kiosk's own logger.
struct FaultLog: Sendable {
    typealias Entry = RecordingLogHandler.Entry

    let store = RecordingLogHandler.Store()

    /// A kiosk assembly whose logger records here (every level).
    var assembly: KioskUnderTest.Assembly {
        var assembly = KioskUnderTest.Assembly()
        let store = self.store
        assembly.logHandler = { label in RecordingLogHandler(label: label, store: store) }
        return assembly
    }

    /// Entries so far: a mark for ``entries(since:)`` and the waits.
    var count: Int { store.entries.withLock { $0.count } }

    func entries(since mark: Int = 0) -> [Entry] {
        store.entries.withLock { Array($0.dropFirst(mark)) }
    }

    /// The first entry after `mark` that matches, waiting up to `timeout` (a "does not hang" bound).
    func waitFor(
        _ what: String, since mark: Int, timeout: Duration = .seconds(20), where matches: (Entry) -> Bool
    ) async throws -> Entry {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let found = entries(since: mark).first(where: matches) { return found }
            if ContinuousClock.now >= deadline { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        let tail = entries(since: mark).suffix(20).map(\.text).joined(separator: "\n")
        throw TestFailure("no log entry '\(what)' within \(timeout); entries since the mark:\n\(tail)")
    }

    /// The pipeline's `tap shown` line after `mark` (it is written just after the frame).
    func tapShown(since mark: Int) async throws -> Entry {
        try await waitFor("tap shown", since: mark) { $0.message == "tap shown" }
    }

    /// Every `tap shown` line after `mark`.
    func tapsShown(since mark: Int = 0) -> [Entry] {
        entries(since: mark).filter { $0.message == "tap shown" }
    }
}

/// The steps every card row of the fault matrix ends with.
extension KioskUnderTest {
    /// A card row's outcome when the read was cut (card pulled, reset, mute): the next tap frame asks to tap again,
    /// and the `tap shown` line after `mark` says the card was not read because it was removed.
    func expectTapAgain(
        _ what: String, log: FaultLog, since mark: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> (frame: DrawnFrame, line: FaultLog.Entry) {
        let frame = try await nextFrame(what, timeout: .seconds(20), sourceLocation: sourceLocation) {
            $0.tapToFrame != nil
        }
        #expect(frame.screen.kind == .unreadableCard(.tapAgain), "\(what)", sourceLocation: sourceLocation)
        let line = try await log.tapShown(since: mark)
        #expect(line.metadata["kiosk.result"] == "cardNotRead", "\(what)", sourceLocation: sourceLocation)
        #expect(line.metadata["kiosk.error"] == "card removed", "\(what)", sourceLocation: sourceLocation)
        return (frame, line)
    }

    /// The next tap works: `image` tapped on `slot` (reader `reader`) shows `status`, the card is taken away again,
    /// and then the visit log holds `visits` visits (not checked when `nil`).
    @discardableResult
    func expectNextTap(
        _ what: String = "next tap", card image: any CardImage = PBOCCardImage(), on slot: VirtualCardSlot,
        reader: Int = 0, shows status: HealthStatus, visits: Int?, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> DrawnFrame {
        try slot.insert(image)
        let next = try await nextFrame(what, timeout: .seconds(20), sourceLocation: sourceLocation) {
            $0.tapToFrame != nil
        }
        #expect(next.screen.kind == .result(status), "\(what)", sourceLocation: sourceLocation)
        try await harness.remove(slot, waitingForReader: reader)
        if let visits {
            #expect(try self.visits.count() == visits, "\(what)", sourceLocation: sourceLocation)
        }
        return next
    }
}

/// A flag raised on one thread (a virtual card's) and awaited by the test.
final class Signal: Sendable {
    private let flag = Atomic<Bool>(false)

    func raise() { flag.store(true, ordering: .releasing) }
    var isRaised: Bool { flag.load(ordering: .acquiring) }

    /// Waits until raised (polling every 2 ms), at most `timeout`.
    func wait(_ what: String, timeout: Duration = .seconds(20)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !isRaised {
            if ContinuousClock.now >= deadline { throw TestFailure("\(what): not within \(timeout)") }
            try await Task.sleep(for: .milliseconds(2))
        }
    }
}

/// A card that answers like `base` but holds its answer to command number `index` (0-based) for `hold`, having
/// raised `reached`: a window in which the test does something to the reader mid-read (another client resets the
/// card, pcscd is killed). Runs on the virtual card's own thread, so the pause blocks nothing else.
struct HeldAnswerCard<Base: CardImage>: CardImage {
    var base: Base
    let index: Int
    let hold: Duration
    let reached: Signal
    private var received = 0

    init(_ base: Base, holdingAnswer index: Int, for hold: Duration, reached: Signal) {
        self.base = base
        self.index = index
        self.hold = hold
        self.reached = reached
    }

    var atr: [UInt8] { base.atr }

    mutating func respond(to command: [UInt8]) -> [UInt8] {
        defer { received += 1 }
        if received == index {
            reached.raise()
            let (seconds, attoseconds) = hold.components
            Thread.sleep(forTimeInterval: Double(seconds) + Double(attoseconds) / 1e18)
        }
        return base.respond(to: command)
    }

    mutating func reset() { base.reset() }
}

/// A card that never answers: every answer is an empty vpcd frame, which vpcd 3.3 does not pass on (it keeps waiting
/// for a real one), so the reader's transmit waits until the card is taken away.
struct SilentAnswerCard: CardImage {
    var atr: [UInt8] = DeadCardImage.defaultATR
    mutating func respond(to command: [UInt8]) -> [UInt8] { [] }
}

/// Writes all of `bytes` to a blocking descriptor (a pty's primary side, a FIFO), in pieces of `chunk` bytes.
/// With `waitUntilRead` (a FIFO), each piece is written only once the reader has taken everything before it
/// (`FIONREAD` is 0), so every piece reaches the reader in reads of its own. Blocking: call it through
/// `onOwnThread`.
func writeAll(_ bytes: [UInt8], to fd: Int32, chunk: Int? = nil, waitUntilRead: Bool = false) throws {
    var offset = 0
    let step = chunk ?? bytes.count
    while offset < bytes.count {
        let end = min(bytes.count, offset + step)
        var sent = offset
        while sent < end {
            let n = bytes[sent..<end].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN {
                    usleep(1000)
                    continue
                }
                throw TestFailure("write: errno \(errno)")
            }
            sent += n
        }
        offset = end
        if waitUntilRead, offset < bytes.count {
            let deadline = ContinuousClock.now + .seconds(10)
            var pending: Int32 = 1
            while withUnsafeMutablePointer(to: &pending, { ioctl(fd, UInt(FIONREAD), $0) }) == 0, pending > 0,
                ContinuousClock.now < deadline
            {
                sched_yield()
            }
        }
    }
}
