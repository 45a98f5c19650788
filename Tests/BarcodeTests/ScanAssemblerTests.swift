import Barcode
import Testing

/// A clock whose time only moves when the test says so (for the pure state machine).
struct ManualClock: Clock {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by d: Duration) -> Instant { Instant(offset: offset + d) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (a: Instant, b: Instant) -> Bool { a.offset < b.offset }
    }
    var now: Instant { Instant(offset: .zero) }
    var minimumResolution: Duration { .nanoseconds(1) }
    func sleep(until deadline: Instant, tolerance: Duration?) async throws {}
}

struct ScanAssemblerTests {
    typealias A = ScanAssembler<ManualClock>
    static func t(_ ms: Int) -> ManualClock.Instant { ManualClock.Instant(offset: .milliseconds(ms)) }

    static func type(_ text: String, into a: inout A, from start: Int, step: Int = 10) -> [A.Action] {
        var actions: [A.Action] = []
        for (i, c) in text.enumerated() { actions += a.receive(c, at: t(start + i * step)) }
        return actions
    }

    @Test func terminatorEmitsAndCancelsTheTimer() {
        var a = A()
        let typed = Self.type("AB", into: &a, from: 0)
        #expect(typed == [.scheduleGapTimer(Self.t(100)), .scheduleGapTimer(Self.t(110))])
        #expect(a.terminate(at: Self.t(20)) == [.emit("AB", endedByGap: false), .cancelGapTimer])
        #expect(!a.isCollecting)
        #expect(a.terminate(at: Self.t(30)) == [.cancelGapTimer])  // empty scan: nothing
    }

    @Test func gapEndsAScanWithoutTerminator() {
        var a = A(framing: ScannerFraming(interKeyGap: .milliseconds(50)))
        _ = Self.type("123", into: &a, from: 0)
        #expect(a.gapDeadline == Self.t(70))
        #expect(a.gapTimerFired(at: Self.t(60)) == [.scheduleGapTimer(Self.t(70))])  // early: reschedule
        #expect(a.gapTimerFired(at: Self.t(71)) == [.emit("123", endedByGap: true), .cancelGapTimer])
    }

    @Test func lateInputAfterTheGapStartsANewScan() {
        var a = A(framing: ScannerFraming(interKeyGap: .milliseconds(50)))
        _ = Self.type("12", into: &a, from: 0)
        // The timer never fired (a burst read at once): the next character finds the gap passed.
        #expect(a.receive("9", at: Self.t(500)) == [.emit("12", endedByGap: true), .scheduleGapTimer(Self.t(550))])
        #expect(a.terminate(at: Self.t(510)) == [.emit("9", endedByGap: false), .cancelGapTimer])
    }

    @Test func overLongIsDiscardedWithItsLength() {
        var a = A(framing: ScannerFraming(maximumLength: 5))
        _ = Self.type("1234567", into: &a, from: 0, step: 1)
        #expect(a.terminate(at: Self.t(10)) == [.discard(.tooLong(length: 7)), .cancelGapTimer])
        _ = Self.type("12345", into: &a, from: 20, step: 1)
        #expect(a.terminate(at: Self.t(30)) == [.emit("12345", endedByGap: false), .cancelGapTimer])
    }

    @Test func duplicatesWithinTheWindowAreDropped() {
        var a = A(framing: ScannerFraming(duplicateWindow: .seconds(2)))
        _ = Self.type("X1", into: &a, from: 0)
        #expect(a.terminate(at: Self.t(20)).first == .emit("X1", endedByGap: false))
        _ = Self.type("X1", into: &a, from: 1000)
        #expect(a.terminate(at: Self.t(1020)).first == .discard(.duplicate))
        // Held under the scanner: each repeat extends the window.
        _ = Self.type("X1", into: &a, from: 2500)
        #expect(a.terminate(at: Self.t(2520)).first == .discard(.duplicate))
        _ = Self.type("Y2", into: &a, from: 2600)
        #expect(a.terminate(at: Self.t(2620)).first == .emit("Y2", endedByGap: false))
        _ = Self.type("X1", into: &a, from: 2700)
        #expect(a.terminate(at: Self.t(2720)).first == .emit("X1", endedByGap: false))
        _ = Self.type("X1", into: &a, from: 5000)
        #expect(a.terminate(at: Self.t(5020)).first == .emit("X1", endedByGap: false))  // window passed
    }

    @Test func resetDropsThePartialScan() {
        var a = A()
        _ = Self.type("12", into: &a, from: 0)
        a.reset()
        #expect(a.gapDeadline == nil)
        #expect(a.terminate(at: Self.t(5)) == [.cancelGapTimer])
    }
}
