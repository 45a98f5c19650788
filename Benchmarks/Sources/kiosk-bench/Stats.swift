import Foundation

/// Percentiles of a set of durations, in milliseconds (nearest-rank).
struct LatencySummary {
    let count: Int
    let p50: Double
    let p99: Double
    let max: Double

    init(milliseconds samples: [Double]) {
        let sorted = samples.sorted()
        count = sorted.count
        func rank(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return .nan }
            return sorted[Swift.min(sorted.count - 1, Swift.max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1))]
        }
        p50 = rank(0.50)
        p99 = rank(0.99)
        max = sorted.last ?? .nan
    }
}

/// Seconds taken by `body`.
func measure<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let start = ContinuousClock.now
    let value = try body()
    let elapsed = ContinuousClock.now - start
    return (value, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
}

/// A fast, seeded, reproducible generator (SplitMix64), so every run measures the same data.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// One row of the printed table and of the JSON report.
struct Figure: Codable {
    var benchmark: String
    var metric: String
    var value: Double
    var unit: String
    var goal: String?
}

func printTable(_ figures: [Figure]) {
    let w0 = max(12, figures.map(\.benchmark.count).max() ?? 0)
    let w1 = max(10, figures.map(\.metric.count).max() ?? 0)
    func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - s.count)) }
    print(pad("benchmark", w0), pad("metric", w1), "value", "unit", "goal", separator: "  ")
    for f in figures {
        let value = f.value >= 100 ? String(format: "%.0f", f.value) : String(format: "%.3f", f.value)
        print(pad(f.benchmark, w0), pad(f.metric, w1), value, f.unit, f.goal ?? "", separator: "  ")
    }
}
