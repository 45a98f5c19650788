import CentralServer
import Crypto
import Foundation
import Hummingbird
import KioskDaemon
import KioskTestSupport
import Logging
import Resolution
import ServiceLifecycle
import SmartCard
import Synchronization
import Testing
import VirtualCard

#if canImport(Glibc)
import Glibc
#endif

/// `kioskctl doctor`'s checks against real parts: the private pcscd with its two vpcd readers, the reference central
/// service on 127.0.0.1, a SAM module played on a pseudo-terminal, SQLite files, and a real configuration file.
@Suite(
    .serialized, .pcscdExclusive,
    .enabled(if: PCSCDHarness.isEnabled, "needs root, unshare, pcscd and vsmartcard-vpcd"))
struct KioskDoctorTests {
    /// A temporary kiosk: snapshot (from a people file, `createdHoursAgo` old), visit log, token file.
    final class Site {
        let directory: URL
        init(snapshotHoursOld: Int) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("doctor-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let people = directory.appendingPathComponent("people.json")
            try Data(
                """
                {"epoch": 3, "sequence": 7, "createdHoursAgo": \(snapshotHoursOld), "people": [
                  {"name": "王小测", "idNumber": "110101194605121231", "status": "normal"}]}
                """.utf8
            ).write(to: people)
            try SnapshotImporter.importPeople(file: people, into: try SnapshotStore(path: snapshotPath))
            _ = try VisitLog(path: visitLogPath)
            try Data("doctor-token\n".utf8).write(to: URL(fileURLWithPath: tokenPath))
            chmod(tokenPath, 0o600)
        }
        deinit { try? FileManager.default.removeItem(at: directory) }

        var snapshotPath: String { directory.appendingPathComponent("snapshot.sqlite").path }
        var visitLogPath: String { directory.appendingPathComponent("visits.sqlite").path }
        var tokenPath: String { directory.appendingPathComponent("token").path }

        func writeConfig(_ extra: String) throws -> String {
            let path = directory.appendingPathComponent("kioskd.toml").path
            let text = """
                [storage]
                snapshot_path = "\(snapshotPath)"
                visit_log_path = "\(visitLogPath)"
                [readers]
                ignore = ["00 01"]
                [scanners]
                discover = false
                \(extra)
                """
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            return path
        }

        var environment: KioskDoctor.Environment {
            var environment = KioskDoctor.Environment()
            environment.framebufferDevice = directory.appendingPathComponent("fb0").path  // absent
            environment.samTimeout = .milliseconds(700)
            return environment
        }

        func doctor(config path: String) -> KioskDoctor {
            KioskDoctor(
                configuration: Result { () throws(ConfigurationError) in try ConfigurationLoader.load(path: path) },
                environment: environment)
        }
    }

    static func finding(_ findings: [KioskDoctor.Finding], _ part: String, containing text: String = "")
        -> KioskDoctor.Finding?
    {
        findings.first { $0.part == part && (text.isEmpty || $0.detail.contains(text)) }
    }

    @Test func healthyKioskWithCentralAndSAMCanServe() async throws {
        let harness = try PCSCDHarness.shared()
        try harness.start()
        try await harness.waitForReader(0, hasCard: false)
        let site = try Site(snapshotHoursOld: 2)
        let pty = try SmartCard.PseudoTerminal()
        defer { pty.close() }
        let module = SAMModuleEmulator(descriptor: pty.primary, card: nil)
        module.start()
        defer { module.stop() }

        try await ReferenceCentral.with(
            token: "doctor-token", kiosk: "doctor-kiosk",
            people: #"{"people": [{"idNumber": "110101194605121231", "status": "normal"}]}"#, logLabel: "central.doctor"
        ) { central in
            let config = try site.writeConfig(
                """
                [sam]
                device = "\(pty.replicaPath)"
                [central]
                url = "\(central.baseURL)"
                kiosk_id = "doctor-kiosk"
                token_file = "\(site.tokenPath)"
                public_key = "\(central.publicKeyBase64)"
                """)
            let findings = await site.doctor(config: config).run()
            let report = findings.map(\.description).joined(separator: "\n")

            #expect(Self.finding(findings, "configuration")?.level == .ok, "\(report)")
            #expect(Self.finding(findings, "pcscd")?.level == .ok, "\(report)")
            #expect(Self.finding(findings, "reader", containing: "\(harness.readerNames[0]): empty")?.level == .ok)
            #expect(Self.finding(findings, "reader", containing: "\(harness.readerNames[1]): ignored") != nil)
            #expect(Self.finding(findings, "sam", containing: "module answering")?.level == .ok, "\(report)")
            #expect(Self.finding(findings, "central", containing: "answered in")?.level == .ok, "\(report)")
            #expect(Self.finding(findings, "clock")?.level == .ok, "\(report)")
            #expect(Self.finding(findings, "snapshot", containing: "#7 epoch 3")?.level == .ok, "\(report)")
            #expect(Self.finding(findings, "visits", containing: "0 visits, 0 waiting")?.level == .ok)
            #expect(Self.finding(findings, "fonts", containing: "Chinese: ")?.level == .ok, "\(report)")
            let framebuffer = try #require(Self.finding(findings, "framebuffer"))
            #expect(framebuffer.level == .warn)
            #expect(framebuffer.detail.contains("absent"))
            #expect(framebuffer.advice != nil)
            #expect(KioskDoctor.canServe(findings), "\(report)")
            #expect(!report.contains("110101194605121231"))
        }
    }

    @Test func problemsAreFailOrWarnWithWhatToDo() async throws {
        let harness = try PCSCDHarness.shared()
        try harness.start()
        let site = try Site(snapshotHoursOld: 100)  // older than the 48 h maximum
        let pty = try SmartCard.PseudoTerminal()  // no module plays the SAM: it never answers
        defer { pty.close() }
        // A port nothing listens on: bind one, note it, close it.
        let closedPort = try Self.unusedPort()
        let config = try site.writeConfig(
            """
            [sam]
            device = "\(pty.replicaPath)"
            [central]
            url = "http://127.0.0.1:\(closedPort)"
            kiosk_id = "doctor-kiosk"
            token_file = "\(site.tokenPath)"
            public_key = "\(Data(repeating: 1, count: 32).base64EncodedString())"
            """)
        let findings = await site.doctor(config: config).run()
        let report = findings.map(\.description).joined(separator: "\n")

        let sam = try #require(Self.finding(findings, "sam"), "\(report)")
        #expect(sam.level == .fail)
        #expect(sam.detail.contains("no answer"))
        let central = try #require(Self.finding(findings, "central"), "\(report)")
        #expect(central.level == .warn)
        #expect(central.detail.contains("not reachable"))
        #expect(central.advice?.contains("snapshot") == true)
        let snapshot = try #require(Self.finding(findings, "snapshot"), "\(report)")
        #expect(snapshot.level == .fail)
        #expect(snapshot.advice?.contains("cannot verify") == true)
        #expect(!KioskDoctor.canServe(findings))
        for finding in findings where finding.level != .ok {
            #expect(finding.advice != nil, "no advice for \(finding)")
        }
    }

    @Test func aBrokenConfigurationIsReportedFirstAndTheRestStillRuns() async throws {
        let harness = try PCSCDHarness.shared()
        try harness.start()
        let site = try Site(snapshotHoursOld: 1)
        let config = try site.writeConfig("[display]\nhold_secs = 3\n")
        let findings = await site.doctor(config: config).run()
        #expect(findings.first?.level == .fail)
        #expect(findings.first?.part == "configuration")
        #expect(findings.first?.detail.contains("display.hold_secs: unknown key; did you mean display.hold_seconds?") == true)
        #expect(Self.finding(findings, "pcscd")?.level == .ok)
        #expect(!KioskDoctor.canServe(findings))
    }

    static func unusedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
