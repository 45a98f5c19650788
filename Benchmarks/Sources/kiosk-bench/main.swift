import Foundation

// kiosk-bench: the CardKiosk benchmarks, release build, run by `make bench` and `make soak`.
// Prints a table of figures (and their goals) and, with --json FILE, writes them as JSON.

let usage = """
    usage: kiosk-bench snapshot [--subjects 1000000,5000000] [--delta 1000000] [--lookups 100000] [--dir DIR] [--json FILE]
           kiosk-bench frame [--frames 100] [--only LABEL] [--json FILE]   layout + glyphs + convert + copy, per panel
                                                                  (--only "1920x1080 32 bpp warm": that case alone)
           kiosk-bench raster [--frames 50] [--json FILE]         layout + glyphs only, glyph cache cold and warm
           kiosk-bench fb [--frames 300] [--json FILE]            convert + compare + copy only, per panel geometry
           kiosk-bench tap [--taps 1000] [--memory-taps 10000] [--idle-seconds 30] [--people FILE] [--keep] [--json FILE]
           kiosk-bench idle [--seconds 60] [--states snapshot,online,centre-gone] [--people FILE] [--keep] [--json FILE]
                                                                  wake-ups per second of an idle kioskd, per thread
           kiosk-bench soak [--taps 100000] [--seed N] [--scan-pause-ms 25] [--people FILE] [--keep] [--json FILE]
           kiosk-bench table FILE.json… [--json FILE]            the figures of earlier runs as one table
    tap, idle and soak run as root: they start a private pcscd (scripts/private-pcscd.sh) and the release kioskd and
    kiosk-central built next to kiosk-bench (make bench / make soak build them).
    """

let command = CommandLine.arguments.dropFirst().first ?? ""
let arguments = Array(CommandLine.arguments.dropFirst(2))

func option(_ name: String) -> String? {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
}

/// A positive integer option, or the usage and exit 64.
func count(_ name: String, default value: Int) -> Int {
    guard let text = option(name) else { return value }
    guard let n = Int(text.replacingOccurrences(of: "_", with: "")), n > 0 else {
        print(usage)
        exit(64)
    }
    return n
}

/// Prints the table and, with `--json FILE`, writes the figures there.
func report(_ figures: [Figure]) throws {
    printTable(figures)
    if let json = option("--json") {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(figures).write(to: URL(fileURLWithPath: json))
        print("wrote \(json)")
    }
}

/// Runs one benchmark; a failure is printed and exits 1.
func run(_ name: String, _ body: () throws -> [Figure]) {
    do {
        try report(try body())
    } catch {
        FileHandle.standardError.write(Data("\(name) benchmark failed: \(error)\n".utf8))
        exit(1)
    }
}

func integers(_ text: String) -> [Int]? {
    let values = text.split(separator: ",").map { Int($0.replacingOccurrences(of: "_", with: "")) }
    return values.allSatisfy { ($0 ?? 0) > 0 } ? values.compactMap { $0 } : nil
}

let peopleFile = URL(fileURLWithPath: option("--people") ?? repositoryRoot.appendingPathComponent("Tests/Fixtures/demo-people.json").path)

switch command {
case "snapshot":
    guard let sizes = integers(option("--subjects") ?? "1000000,5000000") else {
        print(usage)
        exit(64)
    }
    let delta = count("--delta", default: 1_000_000)
    let lookups = count("--lookups", default: 100_000)
    let base = URL(fileURLWithPath: option("--dir") ?? NSTemporaryDirectory()).appendingPathComponent("kiosk-bench-snapshot")
    run("snapshot") {
        var figures: [Figure] = []
        for subjects in sizes {
            FileHandle.standardError.write(Data("snapshot benchmark: \(subjects) subjects\n".utf8))
            let bench = SnapshotScaleBenchmark(
                subjects: subjects, deltaChanges: delta, lookups: lookups,
                directory: base.appendingPathComponent("\(subjects)"))
            figures += try bench.run()
            try? FileManager.default.removeItem(at: base.appendingPathComponent("\(subjects)"))
        }
        return figures
    }
case "frame":
    let frames = count("--frames", default: 100)
    run("frame") { try FrameTimeBenchmark(frames: frames, only: option("--only")).run() }
case "raster":
    let frames = count("--frames", default: 50)
    run("raster") { try RasterBenchmark(frames: frames).run() }
case "fb":
    let frames = count("--frames", default: 300)
    run("fb") { try FramebufferCopyBenchmark(frames: frames).run() }
case "tap":
    let bench = TapBenchmark(
        taps: count("--taps", default: 1000), memoryTaps: count("--memory-taps", default: 10_000),
        idleSeconds: count("--idle-seconds", default: 30), people: peopleFile, keep: arguments.contains("--keep"))
    run("tap") { try bench.run() }
case "idle":
    let names = (option("--states") ?? "snapshot,online,centre-gone").split(separator: ",").map(String.init)
    let states = names.compactMap(IdleBenchmark.State.init(rawValue:))
    guard states.count == names.count, !states.isEmpty else {
        print(usage)
        exit(64)
    }
    let bench = IdleBenchmark(
        seconds: count("--seconds", default: 60), states: states, people: peopleFile, keep: arguments.contains("--keep"))
    run("idle") { try bench.run() }
case "soak":
    let soak = SoakBenchmark(
        taps: count("--taps", default: 100_000), people: peopleFile,
        seed: UInt64(option("--seed") ?? "") ?? UInt64.random(in: 1...UInt64.max),
        scanPause: .milliseconds(count("--scan-pause-ms", default: 25)), keep: arguments.contains("--keep"))
    log("soak seed \(soak.seed)")
    do {
        let (figures, passed) = try soak.run()
        try report(figures)
        print(passed ? "soak: PASS (RSS growth < 1 MB, no descriptor growth, no lost tap)" : "soak: FAIL")
        exit(passed ? 0 : 1)
    } catch {
        FileHandle.standardError.write(Data("soak failed: \(error)\n".utf8))
        exit(1)
    }
case "table":
    let files = arguments.prefix { !$0.hasPrefix("--") }
    run("table") {
        try files.flatMap { try JSONDecoder().decode([Figure].self, from: Data(contentsOf: URL(fileURLWithPath: $0))) }
    }
default:
    print(usage)
    exit(64)
}
