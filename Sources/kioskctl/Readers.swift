import ArgumentParser
import SmartCard

extension KioskCtl {
    /// `kioskctl readers`: what pcscd sees now, like `pcsc_scan -r` plus the card state (anchors.md §3.3).
    struct Readers: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List PC/SC readers with their card state and ATR.",
            discussion: "Talks to pcscd (PCSCLITE_CSOCK_NAME selects another socket). Prints no card data.")

        func run() throws {
            let context: PCSCContext
            do {
                context = try PCSCContext.establish()
            } catch {
                print("pcscd not reachable: \(error)")
                throw ExitCode(1)
            }
            defer { context.release() }
            let names = try context.listReaders()
            guard !names.isEmpty else {
                print("no readers")
                return
            }
            for (index, status) in try context.status(of: names).enumerated() {
                let state =
                    !status.isCardPresent
                    ? "empty" : status.isMute ? "card present, mute (no ATR answer)" : "card present"
                print("[\(index)] \(status.reader)")
                print("    state: \(state)  (event \(status.eventCount))")
                if !status.atr.isEmpty {
                    let hint = ResidentIDCardProbe.isIDCardATR(status.atr) ? "  (resident ID card ATR)" : ""
                    print("    ATR:   \(status.atr.hexString)\(hint)")
                }
            }
        }
    }
}
