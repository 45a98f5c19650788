import Foundation
import VirtualCard

/// `make soak` (issue 7): many taps with random faults against one release `kioskd` with `kiosk-central` on loopback,
/// then its memory and descriptors: RSS growth after warm-up under 1 MB, no descriptor growth.
///
/// At once, until `taps` results were shown:
/// - two card threads, one per vpcd reader: demo senior cards (most), cards pulled away after 0–8 APDUs, and dead
///   cards (answering `6D 00`, one byte, or 1 KB of garbage); each waits for its frame, takes the card away and
///   waits for pcscd to see it go;
/// - a scanner thread on the serial scanner: ID numbers (the demo people's, or synthetic unknown people's; each
///   waits for its frame) and garbage lines (random bytes, invalid UTF-8, up to 4 KB), `scanPause` apart;
/// - the centre going away (SIGTERM, restarted on the same port) or hanging (SIGSTOP/SIGCONT) for 3–15 s every
///   10–40 s, so taps are answered from the snapshot after a failed or timed-out lookup, and uploads retry.
///
/// A frame that does not come within 20 s for a card or a valid scan counts as lost (goal 0).
struct SoakBenchmark {
    var taps: Int
    var people: URL
    var seed: UInt64
    /// Pause between two scans: the scanner is far faster than a card tap (no presence poll), so this sets the mix.
    var scanPause: Duration
    var keep: Bool

    final class Counters: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [String: Int] = [:]
        func add(_ key: String, _ n: Int = 1) { lock.withLock { values[key, default: 0] += n } }
        subscript(key: String) -> Int { lock.withLock { values[key, default: 0] } }
        var all: [String: Int] { lock.withLock { values } }
    }

    func run() throws -> (figures: [Figure], passed: Bool) {
        let work = try makeWorkDirectory("soak")
        defer { if !keep { try? FileManager.default.removeItem(at: work) } else { log("kept \(work.path)") } }
        let pcscd = try PrivatePCSCD(directory: work.appendingPathComponent("pcscd"))
        defer { pcscd.stop() }
        let central = try CentralUnderBench(
            binary: binaryDirectory.appendingPathComponent("kiosk-central"), people: people, directory: work)
        try central.start()
        defer {
            central.resume()
            central.stop()
        }
        let kioskd = try KioskdUnderBench.online(
            central: central, directory: work, venue: "Soak", pcscdSocket: pcscd.socketPath)
        defer { kioskd.stop() }
        _ = try kioskd.waitUntilReady()
        guard kioskd.log.wait(from: 0, timeout: .seconds(30), where: { $0.hasPrefix("<6>snapshot installed") }) != nil else {
            throw RigError("kioskd did not install the centre's snapshot; log:\n\(kioskd.tail())")
        }
        sleep(.seconds(2))
        let startRSS = kioskd.figures.residentKilobytes ?? 0
        let startFDs = kioskd.figures.openDescriptors ?? 0
        log("soak: \(taps) taps; kioskd RSS \(startRSS) kB, \(startFDs) descriptors at start")

        let cards = try DemoCardList(contentsOf: people).taps.filter { $0.removeAfterAPDUs == nil }
        let scans = try peopleIDNumbers(people)
        let counters = Counters()
        let stop = Locked(false)
        let failure = Locked<String?>(nil)
        let kioskdRef = UncheckedBox(kioskd)
        let pcscdRef = UncheckedBox(pcscd)
        let centralRef = UncheckedBox(central)
        var threads: [DispatchSemaphore] = []

        func spawn(_ name: String, _ body: @escaping @Sendable () throws -> Void) {
            let done = DispatchSemaphore(value: 0)
            threads.append(done)
            let thread = Thread {
                do { try body() } catch { failure.value = failure.value ?? "\(name): \(error)" }
                done.signal()
            }
            thread.name = name
            thread.start()
        }

        for reader in 0..<2 {
            let seed = seed &+ UInt64(reader) &* 7919
            spawn("cards-\(reader)") {
                var rng = SplitMix64(state: seed)
                let pcscd = pcscdRef.value
                let kioskd = kioskdRef.value
                let slot = pcscd.slot(reader)
                defer { slot.remove() }
                while !stop.value {
                    try pcscd.waitForReader(reader, hasCard: false, timeout: .seconds(20))
                    let from = kioskd.log.count
                    let roll = rng.next() % 100
                    let kind: String
                    if roll < 78 {
                        kind = "card"
                        try slot.insert(cards[Int(rng.next() % UInt64(cards.count))].image)
                    } else if roll < 90 {
                        kind = "card pulled mid-read"
                        try slot.insert(cards[Int(rng.next() % UInt64(cards.count))].image, removeAfterAPDUs: Int(rng.next() % 9))
                    } else {
                        kind = "dead card"
                        let behaviours: [DeadCardImage.Behaviour] = [.instructionNotSupported, .oneByte, .oversized]
                        try slot.insert(DeadCardImage(behaviours[Int(rng.next() % 3)]))
                    }
                    counters.add(kind)
                    if let shown = kioskd.waitForTapShown(from: from, where: { $0["kiosk.reader"] == pcscd.readerNames[reader] }) {
                        counters.add("shown")
                        counters.add("result " + (shown.fields["kiosk.result"] ?? "-"))
                        counters.add("provenance " + (shown.fields["kiosk.provenance"] ?? "-"))
                    } else {
                        counters.add("lost")
                        log("soak: a \(kind) on reader \(reader) drew no frame within 20 s")
                    }
                    slot.remove()
                }
            }
        }

        spawn("scanner") {
            var rng = SplitMix64(state: seed &+ 104_729)
            var codes = ScanCodes(scans)
            let kioskd = kioskdRef.value
            while !stop.value {
                let from = kioskd.log.count
                if rng.next() % 100 < 85 {
                    counters.add("scan")
                    kioskd.scanner.write(Array((codes.take() + "\r\n").utf8))
                    if let shown = kioskd.waitForTapShown(from: from, where: { $0["kiosk.event"] == "qr_scan" }) {
                        counters.add("shown")
                        counters.add("result " + (shown.fields["kiosk.result"] ?? "-"))
                        counters.add("provenance " + (shown.fields["kiosk.provenance"] ?? "-"))
                    } else {
                        counters.add("lost")
                        log("soak: a scan drew no frame within 20 s")
                    }
                } else {
                    counters.add("garbage scan")
                    let length = 1 + Int(rng.next() % 4096)
                    var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                    bytes.removeAll { $0 == 0x0D || $0 == 0x0A }
                    kioskd.scanner.write(bytes + [0x0D, 0x0A])
                    // Most garbage is shown as "code not recognised"; some is dropped by the decoder. Either is fine.
                    if let shown = kioskd.waitForTapShown(from: from, timeout: .seconds(2), where: { $0["kiosk.event"] == "qr_scan" }) {
                        counters.add("shown")
                        counters.add("result " + (shown.fields["kiosk.result"] ?? "-"))
                    }
                }
                sleep(scanPause)
            }
        }

        spawn("central") {
            var rng = SplitMix64(state: seed &+ 15_485_863)
            let central = centralRef.value
            while !stop.value {
                let up = 10 + Int(rng.next() % 31)
                for _ in 0..<(up * 10) where !stop.value { sleep(.milliseconds(100)) }
                if stop.value { break }
                let down = 3 + Int(rng.next() % 13)
                let hang = rng.next() % 2 == 0
                counters.add(hang ? "central hung" : "central down")
                if hang { central.pause() } else { central.stop() }
                for _ in 0..<(down * 10) where !stop.value { sleep(.milliseconds(100)) }
                if hang { central.resume() } else { try central.start() }
                counters.add("central back")
            }
        }

        // Watch: figures at warm-up and every 30 s; stop at `taps` results. Warm-up lasts until every periodic
        // activity has run at its full size at least once, so what follows measures growth rather than first use:
        // 10 % of the taps (at most 5,000), 90 s (three 30 s visit-upload rounds, each encoding a 500-visit batch),
        // and one outage of the centre with its recovery (failed lookups, retried uploads, new connections).
        let warmUp = max(1, min(taps / 10, 5000))
        let warmUpTime: Duration = .seconds(90)
        var warmRSS: Int?
        var warmFDs: Int?
        var warmTargets: [String] = []
        var warmTaps = 0
        var lastReport = ContinuousClock.now
        var samples: [(taps: Int, rss: Int, fds: Int)] = []
        let started = ContinuousClock.now
        while counters["shown"] < taps, failure.value == nil, kioskd.isRunning {
            sleep(.milliseconds(200))
            let shown = counters["shown"]
            if warmRSS == nil, shown >= warmUp, ContinuousClock.now - started >= warmUpTime, counters["central back"] >= 1 {
                warmRSS = kioskd.figures.residentKilobytes
                warmFDs = kioskd.figures.openDescriptors
                warmTargets = kioskd.figures.descriptorTargets
                warmTaps = shown
                log("soak: warm-up done at \(shown) taps: RSS \(warmRSS ?? 0) kB, \(warmFDs ?? 0) descriptors")
            }
            if ContinuousClock.now - lastReport >= .seconds(30) {
                lastReport = .now
                let sample = (shown, kioskd.figures.residentKilobytes ?? 0, kioskd.figures.openDescriptors ?? 0)
                samples.append(sample)
                log("soak: \(shown) taps, RSS \(sample.1) kB, \(sample.2) descriptors, \(counters["lost"]) lost")
            }
        }
        // The end figure is taken the way the warm-up one was, under load; the idle one follows below.
        let loadedEndRSS = kioskd.figures.residentKilobytes ?? 0
        let warmUpTaps = warmTaps
        stop.value = true
        for done in threads { done.wait() }
        let elapsed = ContinuousClock.now - started
        central.resume()
        if central.pid == nil { try central.start() }
        guard kioskd.isRunning else { throw RigError("kioskd died during the soak; log:\n\(kioskd.tail())") }
        if let failure = failure.value { throw RigError("soak failed: \(failure); kioskd log:\n\(kioskd.tail())") }
        // Let the hold expire, the screen go idle and the uploads catch up before the last figures.
        sleep(.seconds(15))
        let endRSS = kioskd.figures.residentKilobytes ?? 0
        let endFDs = kioskd.figures.openDescriptors ?? 0
        let endTargets = kioskd.figures.descriptorTargets
        var added = endTargets
        for target in warmTargets { if let i = added.firstIndex(of: target) { added.remove(at: i) } }
        var gone = warmTargets
        for target in endTargets { if let i = gone.firstIndex(of: target) { gone.remove(at: i) } }
        log("soak: descriptors opened since warm-up: \(added.isEmpty ? "none" : added.joined(separator: ", "))")
        log("soak: descriptors closed since warm-up: \(gone.isEmpty ? "none" : gone.joined(separator: ", "))")
        let warm = warmRSS ?? startRSS
        let warmDescriptors = warmFDs ?? startFDs
        let growth = Double(loadedEndRSS - warm) / 1024
        let all = counters.all
        for (key, value) in all.sorted(by: { $0.key < $1.key }) { log("soak: \(key): \(value)") }
        let shown = counters["shown"]
        let name = "soak"
        var figures = [
            Figure(benchmark: name, metric: "taps (results shown)", value: Double(shown), unit: "", goal: "\(taps)"),
            Figure(benchmark: name, metric: "  card taps (of which pulled mid-read / dead cards)", value: Double(all["card", default: 0] + all["card pulled mid-read", default: 0] + all["dead card", default: 0]), unit: "", goal: "\(all["card pulled mid-read", default: 0]) / \(all["dead card", default: 0])"),
            Figure(benchmark: name, metric: "  scans (of which garbage)", value: Double(all["scan", default: 0] + all["garbage scan", default: 0]), unit: "", goal: "\(all["garbage scan", default: 0])"),
            Figure(benchmark: name, metric: "  centre down / hung", value: Double(all["central down", default: 0] + all["central hung", default: 0]), unit: "times", goal: "\(all["central down", default: 0]) / \(all["central hung", default: 0])"),
            Figure(benchmark: name, metric: "  answered online / from the snapshot", value: Double(all["provenance online", default: 0]), unit: "", goal: "\(all["provenance snapshot", default: 0]) from the snapshot"),
            Figure(benchmark: name, metric: "lost taps (no frame within 20 s)", value: Double(all["lost", default: 0]), unit: "", goal: "0"),
            Figure(benchmark: name, metric: "duration", value: elapsed.seconds / 60, unit: "min", goal: nil),
            Figure(benchmark: name, metric: "RSS at start", value: Double(startRSS) / 1024, unit: "MB", goal: nil),
            Figure(benchmark: name, metric: "RSS after warm-up (\(warmUpTaps) taps, under load)", value: Double(warm) / 1024, unit: "MB", goal: nil),
            Figure(benchmark: name, metric: "RSS at the last tap (under load)", value: Double(loadedEndRSS) / 1024, unit: "MB", goal: nil),
            Figure(benchmark: name, metric: "RSS growth after warm-up (under load both)", value: growth, unit: "MB", goal: "< 1 MB"),
            Figure(benchmark: name, metric: "RSS at end, idle 15 s", value: Double(endRSS) / 1024, unit: "MB", goal: nil),
            Figure(benchmark: name, metric: "descriptors at start / warm-up / end", value: Double(endFDs), unit: "", goal: "\(startFDs) / \(warmDescriptors) / \(endFDs)"),
        ]
        if let peak = samples.map(\.rss).max() {
            figures.append(Figure(benchmark: name, metric: "RSS highest sample (every 30 s)", value: Double(peak) / 1024, unit: "MB", goal: nil))
        }
        // Sockets come and go with the HTTP client's keep-alive connections to the centre; everything else (files,
        // pipes, event descriptors, the scanner, the pcscd socket is one too) must not grow at all.
        let sockets = { (targets: [String]) in targets.filter { $0 == "socket" }.count }
        let otherGrowth = (endTargets.count - sockets(endTargets)) - (warmTargets.count - sockets(warmTargets))
        let socketGrowth = sockets(endTargets) - sockets(warmTargets)
        figures.append(Figure(benchmark: name, metric: "descriptor growth after warm-up: files, pipes, events / sockets", value: Double(otherGrowth), unit: "", goal: "0 / ≤ 2 (\(socketGrowth))"))
        if !samples.isEmpty {
            log("soak: descriptors every 30 s: \(samples.map { String($0.fds) }.joined(separator: " "))")
            log("soak: RSS (kB) every 30 s: \(samples.map { String($0.rss) }.joined(separator: " "))")
        }
        let passed = growth < 1 && otherGrowth <= 0 && socketGrowth <= 2 && all["lost", default: 0] == 0 && shown >= taps
        return (figures, passed)
    }
}
