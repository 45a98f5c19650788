import Foundation
import KioskCore
import Resolution
import VirtualCard

/// Tap to frame and the idle cost of `kioskd` (issue 7), through the real processes: a private pcscd with vpcd, the
/// release `kioskd` (terminal renderer on a pseudo-terminal, a serial scanner on another), and for the online case
/// `kiosk-central` on 127.0.0.1.
///
/// - tap → frame: kioskd's own figure (`tap shown kiosk.latency_ms=…`): from the instant its reader monitor got
///   pcscd's reader-state event to the instant the renderer's write of the result frame returned.
/// - whole tap: from the virtual card's connect to vpcd (the card laid on the reader) to the `tap shown` line
///   arriving here: includes pcscd's presence poll of vpcd (every ~400 ms), so it is dominated by that.
/// - The demo people's senior cards (Tests/Fixtures/demo-people.json) are tapped in turn on the two vpcd readers,
///   alternately, each after pcscd has seen the previous card on that reader go.
/// - Idle: RSS and descriptors after start, and context switches of all kioskd threads over a window with nothing
///   happening (every switch is a wake-up); start → READY=1 on `NOTIFY_SOCKET`.
/// - Memory after N taps: the latency taps, then more card taps and, at the same time, ID-number scans on the serial
///   scanner (scans need no presence poll, so 10,000 taps take minutes, not hours), then RSS.
struct TapBenchmark {
    var taps: Int
    var memoryTaps: Int
    var idleSeconds: Int
    var people: URL
    var keep: Bool

    func run() throws -> [Figure] {
        let work = try makeWorkDirectory("tap")
        defer { if !keep { try? FileManager.default.removeItem(at: work) } else { log("kept \(work.path)") } }
        let pcscd = try PrivatePCSCD(directory: work.appendingPathComponent("pcscd"))
        defer { pcscd.stop() }
        let cards = try DemoCardList(contentsOf: people).taps.filter { $0.removeAfterAPDUs == nil }
        let scans = try peopleIDNumbers(people)
        var figures: [Figure] = []

        // 1. Snapshot only.
        let offline = try KioskdUnderBench.offline(
            people: people, directory: work.appendingPathComponent("snapshot"), venue: "Bench",
            pcscdSocket: pcscd.socketPath)
        defer { offline.stop() }
        let ready = try offline.waitUntilReady()
        figures.append(Figure(benchmark: "kioskd", metric: "start → READY=1 (snapshot only)", value: ready.milliseconds, unit: "ms", goal: nil))
        log("kioskd ready in \(String(format: "%.0f", ready.milliseconds)) ms; settling 3 s, then \(idleSeconds) s idle")
        sleep(.seconds(3))
        let idleRSS = offline.figures.residentKilobytes ?? 0
        let idleFDs = offline.figures.openDescriptors ?? 0
        let wakeUps = idleWakeUps(of: offline.pid, over: .seconds(idleSeconds))
        figures.append(Figure(benchmark: "kioskd", metric: "RSS idle", value: Double(idleRSS) / 1024, unit: "MB", goal: nil))
        figures.append(Figure(benchmark: "kioskd", metric: "open descriptors idle", value: Double(idleFDs), unit: "", goal: nil))
        figures.append(Figure(benchmark: "kioskd", metric: "wake-ups idle (all threads, \(idleSeconds) s)", value: wakeUps.perSecond, unit: "/s", goal: "watchdog only"))
        for (thread, count) in wakeUps.byThread.prefix(4) {
            figures.append(Figure(benchmark: "kioskd", metric: "  of which thread \(thread)", value: Double(count) / Double(idleSeconds), unit: "/s", goal: nil))
        }

        log("\(taps) taps, snapshot only")
        let offlineTaps = try tapCards(cards, count: taps, on: offline, pcscd: pcscd)
        figures += offlineTaps.figures(benchmark: "tap → frame, snapshot", goal: "p99 < 50 ms")
        try require(offlineTaps.notRead == 0, "\(offlineTaps.notRead) snapshot taps were not read; log:\n\(offline.tail())")

        if memoryTaps > taps {
            log("memory: up to \(memoryTaps) taps (cards and scans at once)")
            let (cardTaps, scanned) = try tapAndScan(until: memoryTaps - taps, cards: cards, scans: scans, on: offline, pcscd: pcscd)
            let total = taps + cardTaps + scanned
            sleep(.seconds(2))
            let rss = offline.figures.residentKilobytes ?? 0
            figures.append(Figure(benchmark: "kioskd", metric: "RSS after \(total) taps (\(taps + cardTaps) cards, \(scanned) scans)", value: Double(rss) / 1024, unit: "MB", goal: nil))
            figures.append(Figure(benchmark: "kioskd", metric: "open descriptors after \(total) taps", value: Double(offline.figures.openDescriptors ?? 0), unit: "", goal: "= idle"))
        } else {
            figures.append(Figure(benchmark: "kioskd", metric: "RSS after \(taps) taps", value: Double(offline.figures.residentKilobytes ?? 0) / 1024, unit: "MB", goal: nil))
        }
        offline.stop()

        // 2. Online: kiosk-central on loopback (kioskd also syncs its snapshot from it at start).
        let onlineDirectory = work.appendingPathComponent("online")
        try FileManager.default.createDirectory(at: onlineDirectory, withIntermediateDirectories: true)
        let central = try CentralUnderBench(
            binary: binaryDirectory.appendingPathComponent("kiosk-central"), people: people, directory: onlineDirectory)
        try central.start()
        defer { central.stop() }
        let online = try KioskdUnderBench.online(
            central: central, directory: onlineDirectory, venue: "Bench", pcscdSocket: pcscd.socketPath)
        defer { online.stop() }
        let onlineReady = try online.waitUntilReady()
        figures.append(Figure(benchmark: "kioskd", metric: "start → READY=1 (with central)", value: onlineReady.milliseconds, unit: "ms", goal: nil))
        guard online.log.wait(from: 0, timeout: .seconds(30), where: { $0.hasPrefix("<6>snapshot installed") }) != nil else {
            throw RigError("kioskd did not install the centre's snapshot; log:\n\(online.tail())")
        }
        log("\(taps) taps, online")
        let onlineTaps = try tapCards(cards, count: taps, on: online, pcscd: pcscd)
        figures += onlineTaps.figures(benchmark: "tap → frame, online", goal: "p99 < 100 ms")
        figures.append(Figure(benchmark: "tap → frame, online", metric: "answered online", value: Double(onlineTaps.provenance["online", default: 0]), unit: "taps", goal: "all \(taps)"))
        try require(onlineTaps.notRead == 0, "\(onlineTaps.notRead) online taps were not read; log:\n\(online.tail())")
        return figures
    }

    /// What a series of taps measured.
    struct Taps {
        var tapToFrame: [Double] = []
        var whole: [Double] = []
        var results: [String: Int] = [:]
        var provenance: [String: Int] = [:]
        var notRead: Int { results["cardNotRead", default: 0] + results["error", default: 0] + results["notUsable", default: 0] }

        func figures(benchmark: String, goal: String) -> [Figure] {
            let frame = LatencySummary(milliseconds: tapToFrame)
            let tap = LatencySummary(milliseconds: whole)
            return [
                Figure(benchmark: benchmark, metric: "taps", value: Double(frame.count), unit: "", goal: nil),
                Figure(benchmark: benchmark, metric: "reader event → frame p50", value: frame.p50, unit: "ms", goal: nil),
                Figure(benchmark: benchmark, metric: "reader event → frame p99", value: frame.p99, unit: "ms", goal: goal),
                Figure(benchmark: benchmark, metric: "reader event → frame max", value: frame.max, unit: "ms", goal: nil),
                Figure(benchmark: benchmark, metric: "whole tap (card laid → frame, incl. vpcd poll) p50", value: tap.p50, unit: "ms", goal: nil),
                Figure(benchmark: benchmark, metric: "whole tap p99", value: tap.p99, unit: "ms", goal: nil),
                Figure(benchmark: benchmark, metric: "whole tap max", value: tap.max, unit: "ms", goal: nil),
            ]
        }
    }

    /// Taps `count` cards in turn, alternating the two readers, one at a time: lay the card, wait for its frame, take
    /// it away. A reader gets its next card only after pcscd has seen the last one go.
    func tapCards(_ cards: [DemoCardList.Tap], count: Int, on kioskd: KioskdUnderBench, pcscd: PrivatePCSCD) throws -> Taps {
        let slots = [pcscd.slot(0), pcscd.slot(1)]
        defer { slots.forEach { $0.remove() } }
        var taps = Taps()
        for index in 0..<count {
            let reader = index % 2
            try pcscd.waitForReader(reader, hasCard: false)
            let from = kioskd.log.count
            let laid = ContinuousClock.now
            try slots[reader].insert(cards[index % cards.count].image)
            guard let shown = kioskd.waitForTapShown(from: from, where: { $0["kiosk.reader"] == pcscd.readerNames[reader] }) else {
                throw RigError("tap \(index): no frame within 20 s; kioskd log:\n\(kioskd.tail())")
            }
            taps.whole.append((shown.line.at - laid).milliseconds)
            if let latency = shown.fields["kiosk.latency_ms"].flatMap(Double.init) { taps.tapToFrame.append(latency) }
            taps.results[shown.fields["kiosk.result"] ?? "-", default: 0] += 1
            taps.provenance[shown.fields["kiosk.provenance"] ?? "-", default: 0] += 1
            slots[reader].remove()
            if (index + 1) % 100 == 0 { log("  \(index + 1) taps") }
        }
        log("  results: \(taps.results.sorted { $0.key < $1.key }), answered by: \(taps.provenance.sorted { $0.key < $1.key })")
        return taps
    }

    /// Card taps on a thread of their own (as ``tapCards``) while this thread scans ID numbers on the serial
    /// scanner, each scan waiting for its frame, until `count` more results were shown. Returns (card taps, scans).
    func tapAndScan(until count: Int, cards: [DemoCardList.Tap], scans: [String], on kioskd: KioskdUnderBench, pcscd: PrivatePCSCD) throws -> (Int, Int) {
        let stop = Locked(false)
        let cardTaps = Locked(0)
        let failure = Locked<String?>(nil)
        let done = DispatchSemaphore(value: 0)
        let pcscdRef = UncheckedBox(pcscd)
        let kioskdRef = UncheckedBox(kioskd)
        let thread = Thread {
            let pcscd = pcscdRef.value
            let kioskd = kioskdRef.value
            let slots = [pcscd.slot(0), pcscd.slot(1)]
            var index = 0
            do {
                while !stop.value {
                    let reader = index % 2
                    try pcscd.waitForReader(reader, hasCard: false)
                    let from = kioskd.log.count
                    try slots[reader].insert(cards[index % cards.count].image)
                    guard kioskd.waitForTapShown(from: from, where: { $0["kiosk.reader"] == pcscd.readerNames[reader] }) != nil else {
                        throw RigError("card tap: no frame within 20 s")
                    }
                    slots[reader].remove()
                    cardTaps.value += 1
                    index += 1
                }
            } catch {
                failure.value = "\(error)"
            }
            slots.forEach { $0.remove() }
            done.signal()
        }
        thread.start()
        var scanned = 0
        var codes = ScanCodes(scans)
        while scanned + cardTaps.value < count, failure.value == nil {
            let from = kioskd.log.count
            kioskd.scanner.write(Array((codes.take() + "\r\n").utf8))
            guard kioskd.waitForTapShown(from: from, where: { $0["kiosk.event"] == "qr_scan" }) != nil else {
                stop.value = true
                done.wait()
                throw RigError("scan: no frame within 20 s; kioskd log:\n\(kioskd.tail())")
            }
            scanned += 1
            if scanned % 1000 == 0 { log("  \(scanned) scans, \(cardTaps.value) card taps") }
        }
        stop.value = true
        done.wait()
        if let failure = failure.value { throw RigError(failure + "; kioskd log:\n\(kioskd.tail())") }
        return (cardTaps.value, scanned)
    }
}

/// A value shared between threads behind a lock.
final class Locked<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T
    init(_ value: T) { stored = value }
    var value: T {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}

/// Hands a non-Sendable reference to a thread that is the only one using it meanwhile (or uses only its
/// thread-safe parts).
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

func require(_ condition: Bool, _ message: @autoclosure () -> String) throws {
    if !condition { throw RigError(message()) }
}

/// Codes for the serial scanner: the people's ID numbers while each was last scanned over 2.5 s ago (kioskd drops
/// the same code read again within 2 s, `ScanAssembler.duplicateWindow`), otherwise a new synthetic ID number with a
/// valid GB 11643 check digit (an unknown person: resolved, a visit, the unknown-person screen). Never printed.
struct ScanCodes {
    private let known: [String]
    private var lastUsed: [ContinuousClock.Instant?]
    private var next = 0
    private var synthetic = 0

    init(_ known: [String]) {
        self.known = known
        lastUsed = Array(repeating: nil, count: known.count)
    }

    mutating func take() -> String {
        let now = ContinuousClock.now
        let index = next % known.count
        next += 1
        if lastUsed[index].map({ now - $0 > .milliseconds(2500) }) ?? true {
            lastUsed[index] = now
            return known[index]
        }
        synthetic += 1
        return Self.syntheticIDNumber(synthetic)
    }

    /// Region 110101, a birth date from 1940 on, a sequence number, and the check character.
    static func syntheticIDNumber(_ n: Int) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let base = calendar.date(from: DateComponents(year: 1940, month: 1, day: 1))!
        let day = calendar.date(byAdding: .day, value: (n / 1000) % 25_000, to: base)!
        let parts = calendar.dateComponents([.year, .month, .day], from: day)
        let body = "110101" + String(format: "%04d%02d%02d%03d", parts.year!, parts.month!, parts.day!, n % 1000)
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        let sum = zip(body, weights).reduce(0) { $0 + Int(String($1.0))! * $1.1 }
        return body + String(Array("10X98765432")[sum % 11])
    }
}

/// The ID numbers of the people of a people file who are in the snapshot (scanned as codes). Never printed.
func peopleIDNumbers(_ file: URL) throws -> [String] {
    struct People: Decodable {
        struct Person: Decodable {
            var idNumber: String?
            var inSnapshot: Bool?
        }
        var people: [Person]
    }
    let people = try JSONDecoder().decode(People.self, from: Data(contentsOf: file)).people
    let numbers = people.filter { $0.inSnapshot != false }.compactMap(\.idNumber)
    guard !numbers.isEmpty else { throw RigError("\(file.path) has no ID numbers to scan") }
    return numbers
}
