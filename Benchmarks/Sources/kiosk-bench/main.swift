import Foundation

// kiosk-bench: the CardKiosk benchmarks, release build, run by `make bench`.
//
//   kiosk-bench snapshot [--subjects N,N…] [--delta N] [--lookups N] [--dir DIR] [--json FILE]
//
// Prints a table of figures (and their goals) and writes them as JSON.

let usage = """
    usage: kiosk-bench snapshot [--subjects 1000000,5000000] [--delta 1000000] [--lookups 100000] [--dir DIR] [--json FILE]
           kiosk-bench frame [--frames 100] [--json FILE]
    """

let command = CommandLine.arguments.dropFirst().first ?? ""
let arguments = Array(CommandLine.arguments.dropFirst(2))

func option(_ name: String) -> String? {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
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

func integers(_ text: String) -> [Int]? {
    let values = text.split(separator: ",").map { Int($0.replacingOccurrences(of: "_", with: "")) }
    return values.allSatisfy { ($0 ?? 0) > 0 } ? values.compactMap { $0 } : nil
}

switch command {
case "snapshot":
    guard let sizes = integers(option("--subjects") ?? "1000000,5000000"),
        let delta = Int(option("--delta") ?? "1000000"), delta > 0,
        let lookups = Int(option("--lookups") ?? "100000"), lookups > 0
    else {
        print(usage)
        exit(64)
    }
    let base = URL(fileURLWithPath: option("--dir") ?? NSTemporaryDirectory()).appendingPathComponent("kiosk-bench-snapshot")
    var figures: [Figure] = []
    for subjects in sizes {
        FileHandle.standardError.write(Data("snapshot benchmark: \(subjects) subjects\n".utf8))
        let bench = SnapshotScaleBenchmark(
            subjects: subjects, deltaChanges: delta, lookups: lookups,
            directory: base.appendingPathComponent("\(subjects)"))
        do {
            figures += try bench.run()
        } catch {
            FileHandle.standardError.write(Data("snapshot benchmark failed: \(error)\n".utf8))
            exit(1)
        }
        try? FileManager.default.removeItem(at: base.appendingPathComponent("\(subjects)"))
    }
    try report(figures)
case "frame":
    guard let frames = Int(option("--frames") ?? "100"), frames > 0 else {
        print(usage)
        exit(64)
    }
    do {
        let figures = try FrameTimeBenchmark(frames: frames).run()
        try report(figures)
    } catch {
        FileHandle.standardError.write(Data("frame benchmark failed: \(error)\n".utf8))
        exit(1)
    }
default:
    print(usage)
    exit(64)
}
