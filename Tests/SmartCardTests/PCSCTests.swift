import Foundation
import KioskTestSupport
@testable import SmartCard
import Synchronization
import Testing
import VirtualCard

/// Everything that goes through the real pcscd + vpcd. One serialized suite: the process has one pcscd
/// (`PCSCLITE_CSOCK_NAME` is read once), and the tests insert and remove cards in its two readers.
@Suite(.serialized, .pcscdExclusive, .enabled(if: PCSCDHarness.isEnabled, "needs root, unshare, pcscd and vsmartcard-vpcd"))
struct PCSCTests {
    let harness: PCSCDHarness
    var reader0: String { harness.readerNames[0] }
    var reader1: String { harness.readerNames[1] }

    init() throws {
        harness = try PCSCDHarness.shared()
        try harness.start()  // after a failed restart test, bring it back for the rest
    }

    @Test func listsBothVPCDReaders() async throws {
        let context = try PCSCContext.establish()
        defer { context.release() }
        let listed = try context.listReaders()
        #expect(listed == harness.readerNames)

        let io = PCSCCardReader()
        defer { io.close() }
        #expect(try await io.listReaders() == harness.readerNames)
    }

    @Test func monitorReportsReadersThenInsertAndRemoval() async throws {
        try await harness.waitForReader(0, hasCard: false)
        let probe = MonitorProbe()
        try await probe.next("readerAdded 0") { $0 == .readerAdded(reader0) }
        try await probe.next("readerAdded 1") { $0 == .readerAdded(reader1) }
        #expect(!probe.all.contains { $0.atr != nil }, "no card yet")

        let slot = harness.slot(0)
        let card = PPSECard(atr: [UInt8](hex: "3B 88 80 01 00 00 00 00 33 81 81 00 3A")!)
        let inserted = ContinuousClock.now
        try slot.insert(card)
        let present = try await probe.next("cardPresent 0") { $0.isCardPresent(in: reader0) }
        #expect(present.atr == card.atr)
        if let at = present.instant {
            print("insert → cardPresent: \((at - inserted).ms) (vpcd presence poll every ~400 ms)")
        }

        slot.remove()
        let removedAt = ContinuousClock.now
        try await probe.next("cardRemoved 0") { $0.isCardRemoved(from: reader0) }
        print("remove → cardRemoved: \((ContinuousClock.now - removedAt).ms)")
        #expect(!probe.all.contains { $0.isCardPresent(in: reader1) })
        await probe.stop()
    }

    /// An idle monitor sleeps in `SCardGetStatusChange`: once it has reported the readers and is waiting, it makes
    /// no further call to pcscd until something happens or its wait timeout (15 s by default) passes; it does not
    /// poll. A card laid on a reader still wakes it.
    @Test func idleMonitorDoesNotPoll() async throws {
        try await harness.waitForReader(0, hasCard: false)
        let probe = MonitorProbe()
        let timeout = probe.monitor.configuration.waitTimeout
        #expect(timeout >= .seconds(10) && timeout <= .seconds(15), "keep it below the watchdog's stall limit")
        try await probe.next("readerAdded 0") { $0 == .readerAdded(reader0) }
        try await probe.next("readerAdded 1") { $0 == .readerAdded(reader1) }
        // The first wait answers every reader's state at once (UNAWARE); the second blocks.
        let core = probe.monitor.core
        let deadline = ContinuousClock.now + .seconds(10)
        while core.waitsStarted.load(ordering: .acquiring) < 2 {
            guard ContinuousClock.now < deadline else {
                Issue.record("the monitor never started its second wait")
                await probe.stop()
                return
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        try await Task.sleep(for: .milliseconds(300))
        let settled = core.waitsStarted.load(ordering: .acquiring)
        try await Task.sleep(for: .seconds(2))
        #expect(core.waitsStarted.load(ordering: .acquiring) == settled, "the idle monitor called pcscd again")
        #expect(probe.pending.isEmpty, "\(probe.pending)")

        let slot = harness.slot(0)
        try slot.insert(PPSECard())
        try await probe.next("cardPresent 0") { $0.isCardPresent(in: reader0) }
        await probe.stop()
        try await harness.remove(slot, waitingForReader: 0)
    }

    @Test func cardAlreadyPresentAtStartIsReported() async throws {
        try await harness.withCard(in: 1, PPSECard()) { _ in
            try await harness.waitForReader(1, hasCard: true)
            let probe = MonitorProbe()
            let event = try await probe.next("present at start") { $0.isCardPresent(in: reader1) }
            #expect(event.atr == PPSECard.cardATR)
            await probe.stop()
        }
    }

    @Test func ignoredReadersAreNotReported() async throws {
        let probe = MonitorProbe(.init(ignoredReaderNameSubstrings: ["00 01"]))
        try await probe.next("readerAdded 0") { $0 == .readerAdded(reader0) }
        try await harness.withCard(in: 1, PPSECard()) { _ in
            try await harness.waitForReader(1, hasCard: true)
            try await Task.sleep(for: .milliseconds(100))
        }
        await probe.stop()
        #expect(!probe.all.contains { $0 == .readerAdded(reader1) || $0.isCardPresent(in: reader1) })
    }

    @Test func connectAndTransmitSelectPPSE() async throws {
        try await harness.withCard(in: 0, PPSECard()) { slot in
            try await harness.waitForReader(0, hasCard: true)
            let io = PCSCCardReader()
            defer { io.close() }
            let channel = try await io.connect(reader: reader0)
            #expect(channel.atr == PPSECard.cardATR)
            #expect(channel.activeProtocol == .t1)
            let raw = try await channel.transmitRaw(PPSECard.selectPPSE)
            #expect(raw == PPSECard.fci + [0x90, 0x00])
            let response = try await channel.transmit(.select(name: Array("2PAY.SYS.DDF01".utf8)))
            #expect(response.statusWord == .success)
            #expect(response.data == PPSECard.fci)
            await channel.disconnect()
            #expect(slot.apdusAnswered == 2)
        }
    }

    @Test(arguments: [PPSECard.Style.moreData, .wrongLength])
    func statusWordFollowUpsWorkThroughPCSCD(style: PPSECard.Style) async throws {
        try await harness.withCard(in: 0, PPSECard(style: style)) { slot in
            try await harness.waitForReader(0, hasCard: true)
            let io = PCSCCardReader()
            defer { io.close() }
            let channel = try await io.connect(reader: reader0)
            // pcscd passes 61 XX / 6C XX through untouched (T=1 card)...
            let raw = try await channel.transmitRaw(PPSECard.selectPPSE)
            #expect(raw == [style == .moreData ? 0x61 : 0x6C, UInt8(PPSECard.fci.count)])
            // ...and transmit(_:) follows them up.
            let response = try await channel.transmit(.select(name: Array("2PAY.SYS.DDF01".utf8)))
            #expect(response.statusWord == .success)
            #expect(response.data == PPSECard.fci)
            #expect(slot.apdusAnswered == 3, "raw SELECT, then SELECT + one follow-up")
            await channel.disconnect()
        }
    }

    @Test func cardPulledBetweenTwoAPDUsThrowsCardRemoved() async throws {
        try await harness.withCard(in: 0, PPSECard(), removeAfterAPDUs: 1) { slot in
            let probe = MonitorProbe()
            try await probe.next("present") { $0.isCardPresent(in: reader0) }
            let io = PCSCCardReader()
            defer { io.close() }
            let channel = try await io.connect(reader: reader0)
            #expect(try await channel.transmitRaw(PPSECard.selectPPSE) == PPSECard.fci + [0x90, 0x00])
            let started = ContinuousClock.now
            await #expect(throws: CardError.cardRemoved) {
                _ = try await channel.transmitRaw(PPSECard.selectPPSE)
            }
            print("pulled card → CardError.cardRemoved after \((ContinuousClock.now - started).ms)")
            #expect(!slot.isInserted)
            try await probe.next("cardRemoved") { $0.isCardRemoved(from: reader0) }
            await probe.stop()
            await channel.disconnect()
        }
    }

    @Test func cancellingAWaitingMonitorEndsPromptly() async throws {
        // A 30 s wait: only SCardCancel can end it quickly.
        let monitor = ReaderMonitor(configuration: .init(waitTimeout: .seconds(30)))
        let running = Task { await monitor.run() }
        var iterator = monitor.events.makeAsyncIterator()
        #expect(await iterator.next() == .readerAdded(reader0))
        #expect(await iterator.next() == .readerAdded(reader1))
        try await Task.sleep(for: .milliseconds(100))  // now blocked in SCardGetStatusChange

        let cancelled = ContinuousClock.now
        running.cancel()
        await running.value
        let elapsed = ContinuousClock.now - cancelled
        print("cancel → monitor stopped: \(elapsed.ms)")
        #expect(monitor.isStopped)
        #expect(elapsed < .seconds(10), "returned long before the 30 s wait timeout")
        var remaining = 0
        while await iterator.next() != nil { remaining += 1 }  // buffered events, then the end of the stream
        #expect(remaining == 0)
    }

    @Test func immediateCancelIsNotLost() async throws {
        // Stop right after start: the cancel may arrive before the wait begins; the resend loop must still end it.
        for _ in 0..<5 {
            let monitor = ReaderMonitor(configuration: .init(waitTimeout: .seconds(30)))
            let started = ContinuousClock.now
            monitor.start()
            monitor.stop()
            await monitor.waitUntilStopped()
            #expect(ContinuousClock.now - started < .seconds(10))
        }
    }

    @Test func fastRemoveAndRetapBetweenTwoWaitsIsNotMissed() async throws {
        try await harness.waitForReader(0, hasCard: false)
        let slot = harness.slot(0)
        try slot.insert(PPSECard())
        let probe = MonitorProbe(.init(waitTimeout: .milliseconds(200)))
        try await probe.next("present") { $0.isCardPresent(in: reader0) }

        // Hold the monitor between two waits, then remove and re-tap while it is not looking.
        probe.monitor.core.gate.hold()
        while !probe.monitor.core.gate.isParked { try await Task.sleep(for: .milliseconds(5)) }
        probe.skipAll()
        let before = try PCSCContext.establish().status(of: [reader0])[0].eventCount
        try await harness.remove(slot, waitingForReader: 0)
        let secondATR = [UInt8](hex: "3B 88 80 01 00 00 00 00 33 81 81 00 3A")!
        try slot.insert(PPSECard(atr: secondATR))
        try await harness.waitForReader(0, hasCard: true)
        let after = try PCSCContext.establish().status(of: [reader0])[0].eventCount
        #expect(after - before == 2, "pcscd counted the removal and the insertion")
        #expect(probe.pending.isEmpty, "the held monitor saw nothing")
        probe.monitor.core.gate.release()

        try await probe.next("removed after release") { $0.isCardRemoved(from: reader0) }
        let again = try await probe.next("present after release") { $0.isCardPresent(in: reader0) }
        #expect(again.atr == secondATR)
        await probe.stop()
        try await harness.remove(slot, waitingForReader: 0)
    }

    @Test func sameATRRetapIsReportedFromTheCounterAlone() async throws {
        try await harness.waitForReader(0, hasCard: false)
        let slot = harness.slot(0)
        try slot.insert(PPSECard())
        let probe = MonitorProbe(.init(waitTimeout: .milliseconds(200)))
        try await probe.next("present") { $0.isCardPresent(in: reader0) }
        probe.monitor.core.gate.hold()
        while !probe.monitor.core.gate.isParked { try await Task.sleep(for: .milliseconds(5)) }
        probe.skipAll()
        try await harness.remove(slot, waitingForReader: 0)
        try slot.insert(PPSECard())
        try await harness.waitForReader(0, hasCard: true)
        probe.monitor.core.gate.release()
        try await probe.next("removed after release") { $0.isCardRemoved(from: reader0) }
        try await probe.next("present after release") { $0.isCardPresent(in: reader0) }
        await probe.stop()
        try await harness.remove(slot, waitingForReader: 0)
    }

    @Test func monitorRecoversFromPCSCDRestart() async throws {
        try await harness.waitForReader(0, hasCard: false)
        let probe = MonitorProbe()
        try await probe.next("readerAdded 0") { $0 == .readerAdded(reader0) }
        try await probe.next("readerAdded 1") { $0 == .readerAdded(reader1) }
        let slot = harness.slot(0)
        try slot.insert(PPSECard())
        try await probe.next("present") { $0.isCardPresent(in: reader0) }
        let io = PCSCCardReader()
        defer { io.close() }
        let before = try await io.connect(reader: reader0)
        #expect(try await before.transmitRaw(PPSECard.selectPPSE) == PPSECard.fci + [0x90, 0x00])

        harness.stop()
        try await probe.next("cardRemoved on stop") { $0.isCardRemoved(from: reader0) }
        try await probe.next("readerRemoved on stop") { $0 == .readerRemoved(reader0) }
        try await probe.next("serviceUnavailable") {
            if case .serviceUnavailable = $0 { true } else { false }
        }
        #expect(await slot.waitUntilRemoved(), "vpcd closed the card's connection")
        await #expect(throws: CardError.self) { _ = try await before.transmitRaw(PPSECard.selectPPSE) }

        try harness.start()
        try await probe.next("serviceRestored", timeout: .seconds(10)) { $0 == .serviceRestored }
        try await probe.next("readerAdded 0 again") { $0 == .readerAdded(reader0) }
        try slot.insert(PPSECard())
        try await probe.next("present after restart") { $0.isCardPresent(in: reader0) }
        // The card-I/O side re-establishes its context too.
        let after = try await io.connect(reader: reader0)
        #expect(try await after.transmitRaw(PPSECard.selectPPSE) == PPSECard.fci + [0x90, 0x00])
        await after.disconnect()
        await probe.stop()
        try await harness.remove(slot, waitingForReader: 0)
    }

    @Test func apduRoundTripLatency() async throws {
        try await harness.withCard(in: 0, PPSECard()) { _ in
            try await harness.waitForReader(0, hasCard: true)
            let io = PCSCCardReader()
            defer { io.close() }
            let channel = try await io.connect(reader: reader0)
            var samples: [Duration] = []
            for _ in 0..<500 {
                let start = ContinuousClock.now
                let response = try await channel.transmitRaw(PPSECard.selectPPSE)
                samples.append(ContinuousClock.now - start)
                #expect(response.count == PPSECard.fci.count + 2)
            }
            samples.sort()
            print("""
                SELECT PPSE round trip through pcscd + vpcd, \(samples.count) APDUs: \
                p50 \(percentile(samples, 50).ms), p90 \(percentile(samples, 90).ms), \
                p99 \(percentile(samples, 99).ms), max \(samples.last!.ms)
                """)
            await channel.disconnect()
        }
    }
}
