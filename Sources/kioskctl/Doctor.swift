import ArgumentParser
import Foundation
import KioskDaemon

extension KioskCtl {
    /// `kioskctl doctor`: one report over every part of the kiosk (``KioskDoctor``).
    struct Doctor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every part of the kiosk: configuration, pcscd, readers, SAM, scanners, screen, fonts, "
                + "central service, snapshot, visit log.",
            discussion: """
                Each line is OK, WARN or FAIL, with what to do under each WARN and FAIL. Exit status 0: the kiosk \
                can serve (no FAIL); 1: it cannot. Run it as root or as the kiosk user, while kioskd runs or not. \
                Prints no card data.
                """)

        @Option(help: "Configuration file (default: /etc/kioskd/kioskd.toml, as kioskd).")
        var config: String?

        func run() async throws {
            let loaded = Result { () throws(ConfigurationError) -> ConfigurationLoader.Loaded in
                try ConfigurationLoader.load(path: config, environment: ProcessInfo.processInfo.environment)
            }
            let findings = await KioskDoctor(configuration: loaded).run()
            for finding in findings { print(finding) }
            let serve = KioskDoctor.canServe(findings)
            let counts = [KioskDoctor.Level.ok, .warn, .fail].map { level in
                "\(findings.filter { $0.level == level }.count) \(level.rawValue)"
            }
            print("\n\(serve ? "The kiosk can serve" : "The kiosk CANNOT serve") (\(counts.joined(separator: ", "))).")
            if !serve { throw ExitCode(1) }
        }
    }
}
