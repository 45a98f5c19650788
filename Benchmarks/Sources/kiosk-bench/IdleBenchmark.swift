import Foundation
import Resolution

/// Wake-ups of an idle `kioskd` (issue 7: "no polling beyond the watchdog"), thread by thread, in three states:
/// snapshot only; with `kiosk-central` on 127.0.0.1 (once its snapshot is installed); and with the centre gone
/// (`kiosk-central` stopped while `kioskd` runs). Each time the release `kioskd` runs as ``KioskdUnderBench`` starts
/// it: the unit's watchdog (`WATCHDOG_USEC` 30 s, so `WATCHDOG=1` every 15 s), a serial scanner present on a
/// pseudo-terminal, the terminal renderer, the private pcscd's two vpcd readers and no card.
///
/// A wake-up is a context switch of a `kioskd` thread (voluntary or not, from /proc/PID/task/*/status) during the
/// window, after a settling time. Threads are grouped by name (`/proc/…/comm`: `pcsc-monitor`, `scanner …`, and
/// whatever names libdispatch and the Swift runtime give their workers).
struct IdleBenchmark {
    enum State: String, CaseIterable {
        case snapshot
        case online
        case centreGone = "centre-gone"

        var title: String {
            switch self {
            case .snapshot: "snapshot only"
            case .online: "centre reachable"
            case .centreGone: "centre gone"
            }
        }
    }

    var seconds: Int
    var states: [State]
    var people: URL
    var keep: Bool

    /// The watchdog ping interval under ``KioskdUnderBench`` (half of its `WATCHDOG_USEC`).
    static let pingInterval = 15.0

    func run() throws -> [Figure] {
        let work = try makeWorkDirectory("idle")
        defer { if !keep { try? FileManager.default.removeItem(at: work) } else { log("kept \(work.path)") } }
        let pcscd = try PrivatePCSCD(directory: work.appendingPathComponent("pcscd"))
        defer { pcscd.stop() }
        var figures: [Figure] = []

        if states.contains(.snapshot) {
            let kioskd = try KioskdUnderBench.offline(
                people: people, directory: work.appendingPathComponent("snapshot"), venue: "Bench",
                pcscdSocket: pcscd.socketPath)
            defer { kioskd.stop() }
            _ = try kioskd.waitUntilReady()
            figures += measure(.snapshot, kioskd)
            kioskd.stop()
        }

        if states.contains(.online) || states.contains(.centreGone) {
            let directory = work.appendingPathComponent("online")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let central = try CentralUnderBench(
                binary: binaryDirectory.appendingPathComponent("kiosk-central"), people: people, directory: directory)
            try central.start()
            defer { central.stop() }
            let kioskd = try KioskdUnderBench.online(
                central: central, directory: directory, venue: "Bench", pcscdSocket: pcscd.socketPath)
            defer { kioskd.stop() }
            _ = try kioskd.waitUntilReady()
            guard kioskd.log.wait(from: 0, timeout: .seconds(30), where: { $0.hasPrefix("<6>snapshot installed") }) != nil
            else {
                throw RigError("kioskd did not install the centre's snapshot; log:\n\(kioskd.tail())")
            }
            if states.contains(.online) { figures += measure(.online, kioskd) }
            if states.contains(.centreGone) {
                central.stop()
                figures += measure(.centreGone, kioskd)
            }
        }
        return figures
    }

    /// Settles 3 s, then counts every thread's wake-ups over the window.
    private func measure(_ state: State, _ kioskd: KioskdUnderBench) -> [Figure] {
        log("\(state.title): settling 3 s, then \(seconds) s idle")
        sleep(.seconds(3))
        let wakeUps = idleWakeUps(of: kioskd.pid, over: .seconds(seconds))
        let name = "kioskd idle, \(state.title)"
        var figures = [
            Figure(
                benchmark: name, metric: "wake-ups, all threads (\(seconds) s)", value: wakeUps.perSecond, unit: "/s",
                goal: "watchdog only (a ping every \(Int(Self.pingInterval)) s)"),
            Figure(
                benchmark: name, metric: "threads", value: Double(ProcessFigures(pid: kioskd.pid).contextSwitches.count),
                unit: "", goal: nil),
        ]
        for (thread, count) in wakeUps.byThread {
            figures.append(
                Figure(
                    benchmark: name, metric: "  thread \(thread)", value: Double(count) / Double(seconds), unit: "/s",
                    goal: nil))
        }
        return figures
    }
}
