import Barcode
import Display
public import Foundation
import KioskCore
public import Logging
import Resolution
import SmartCard

/// `kioskctl doctor`: every part of a kiosk checked once, each finding OK / WARN / FAIL with what to do.
///
/// Reads the configuration like `kioskd` does, then asks the real parts: pcscd and its readers, the SAM reader (if
/// configured), udev for scanners, the framebuffer's sysfs geometry, the fonts, the central service (latency and
/// clock skew), the snapshot and the visit log. Never prints an identity: it reads no card, only reader states.
public struct KioskDoctor: Sendable {
    /// How bad a finding is. `fail` means the kiosk cannot serve (or serves wrongly) until it is fixed.
    public enum Level: String, Sendable, Comparable {
        case ok = "OK"
        case warn = "WARN"
        case fail = "FAIL"

        public static func < (a: Level, b: Level) -> Bool {
            let order: [Level] = [.ok, .warn, .fail]
            return order.firstIndex(of: a)! < order.firstIndex(of: b)!
        }
    }

    /// One line of the report.
    public struct Finding: Sendable, Equatable, CustomStringConvertible {
        public var level: Level
        /// The part checked: `configuration`, `pcscd`, `reader`, `sam`, `scanners`, `framebuffer`, `fonts`,
        /// `central`, `snapshot`, `visits`, `inputs`.
        public var part: String
        public var detail: String
        /// What to do about a WARN or FAIL; `nil` for OK.
        public var advice: String?

        public init(_ level: Level, _ part: String, _ detail: String, advice: String? = nil) {
            self.level = level
            self.part = part
            self.detail = detail
            self.advice = advice
        }

        public var description: String {
            let head = "\(level.rawValue.padding(toLength: 4, withPad: " ", startingAt: 0))  "
                + "\(part.padding(toLength: 13, withPad: " ", startingAt: 0)) \(detail)"
            return advice.map { "\(head)\n      → \($0)" } ?? head
        }
    }

    /// Where the doctor looks besides the configuration (tests point these at temporary files).
    public struct Environment: Sendable {
        /// The framebuffer device (its sysfs directory is `/sys/class/graphics/<name>`).
        public var framebufferDevice = "/dev/fb0"
        public var sysfsGraphics = "/sys/class/graphics"
        /// How long the SAM module gets to answer, and the central service to send its manifest.
        public var samTimeout: Duration = .seconds(3)
        /// Backlog above which the visit upload is reported as falling behind.
        public var visitBacklogWarning = 1000

        public init() {}
    }

    public let loaded: ConfigurationLoader.Loaded?
    public let configurationError: ConfigurationError?
    public let environment: Environment
    private let logger: Logger

    /// - Parameters:
    ///   - configuration: the result of ``ConfigurationLoader/load(path:environment:flags:defaultPath:)``; on an
    ///     error the other checks run with the defaults and the report starts with the problems.
    public init(
        configuration: Result<ConfigurationLoader.Loaded, ConfigurationError>, environment: Environment = Environment(),
        logger: Logger = Logger(label: "kiosk.doctor", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        switch configuration {
        case .success(let loaded):
            self.loaded = loaded
            configurationError = nil
        case .failure(let error):
            loaded = nil
            configurationError = error
        }
        self.environment = environment
        self.logger = logger
    }

    private var configuration: KioskConfiguration { loaded?.configuration ?? KioskConfiguration() }

    /// Runs every check in report order.
    public func run() async -> [Finding] {
        var findings = configurationFindings()
        let readers = pcscFindings()
        findings += readers.findings
        let sam = await samFindings()
        findings += sam.findings
        let scanners = scannerFindings()
        findings += scanners.findings
        if readers.usable + scanners.found + (sam.ready ? 1 : 0) == 0 {
            findings.append(
                .init(
                    .fail, "inputs", "no reader, SAM module or scanner can take a tap",
                    advice: "plug in a reader or scanner; `kioskctl readers` and `udevadm monitor` show what appears"))
        }
        findings += framebufferFindings()
        findings += fontFindings()
        findings += await centralFindings()
        findings += snapshotFindings()
        findings += visitFindings()
        return findings
    }

    /// Whether the kiosk can serve: no FAIL in `findings`.
    public static func canServe(_ findings: [Finding]) -> Bool { !findings.contains { $0.level == .fail } }

    // MARK: checks

    func configurationFindings() -> [Finding] {
        if let configurationError {
            return configurationError.problems.map {
                .init(.fail, "configuration", $0.description, advice: "fix it, then `kioskd --check-config`")
            }
        }
        guard let loaded else { return [] }
        var findings = [
            Finding(
                .ok, "configuration",
                "\(loaded.file ?? "no file, defaults")\(loaded.configuration.central == nil ? ", snapshot only" : "")")
        ]
        findings += loaded.warnings.map { .init(.warn, "configuration", $0, advice: "see the warning") }
        return findings
    }

    func pcscFindings() -> (findings: [Finding], usable: Int) {
        let context: PCSCContext
        do {
            context = try PCSCContext.establish()
        } catch {
            return (
                [
                    .init(
                        .fail, "pcscd", "not reachable: \(error)",
                        advice: "systemctl start pcscd.socket; `journalctl -u pcscd` says why it stopped")
                ], 0
            )
        }
        defer { context.release() }
        var findings = [Finding(.ok, "pcscd", "reachable")]
        let names: [String]
        do {
            names = try context.listReaders()
        } catch {
            names = []
        }
        let ignored = configuration.ignoredReaderNames
        var usable = 0
        if !names.isEmpty, let statuses = try? context.status(of: names) {
            for status in statuses {
                let isIgnored = ignored.contains { status.reader.contains($0) }
                let card =
                    !status.isCardPresent ? "empty" : status.isMute ? "card present, mute" : "card present"
                if isIgnored {
                    findings.append(.init(.ok, "reader", "\(status.reader): ignored (readers.ignore), \(card)"))
                    continue
                }
                usable += 1
                if status.isCardPresent && status.isMute {
                    findings.append(
                        .init(
                            .warn, "reader", "\(status.reader): \(card)",
                            advice: "a card that does not answer is left on the reader; take it off"))
                } else {
                    findings.append(.init(.ok, "reader", "\(status.reader): \(card)"))
                }
            }
        }
        if usable == 0 {
            findings.append(
                .init(
                    .warn, "reader", "no usable PC/SC reader (\(names.count) listed)",
                    advice: "plug the card reader in; check `lsusb` and readers.ignore"))
        }
        return (findings, usable)
    }

    func samFindings() async -> (findings: [Finding], ready: Bool) {
        guard let path = configuration.samDevicePath else { return ([], false) }
        guard FileManager.default.fileExists(atPath: path) else {
            return (
                [
                    .init(
                        .fail, "sam", "\(path) does not exist",
                        advice: "plug the SAM reader in; check udev-rules/70-kiosk-sam.rules matches its adapter (`udevadm info -a`)")
                ], false
            )
        }
        guard let speed = SerialSpeed(baud: configuration.samBaudRate) else {
            return ([.init(.fail, "sam", "\(configuration.samBaudRate) baud is not supported")], false)
        }
        let reader = SAMReader(devicePath: path, speed: speed, logger: logger)
        reader.start()
        defer { reader.stop() }
        let deadline = ContinuousClock.now + environment.samTimeout
        while ContinuousClock.now < deadline {
            switch reader.health.state {
            case .ready:
                return ([.init(.ok, "sam", "\(path) at \(speed.baud) baud: module answering")], true)
            case .failing(let reason):
                return (
                    [.init(.fail, "sam", "\(path): \(reason)", advice: "check sam.baud and the cable; power-cycle the reader")],
                    false
                )
            case .absent:
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        return (
            [
                .init(
                    .fail, "sam", "\(path): no answer within \(environment.samTimeout)",
                    advice: "check sam.baud (most modules: 115200) and that nothing else holds the port")
            ], false
        )
    }

    func scannerFindings() -> (findings: [Finding], found: Int) {
        let settings = configuration.scanners
        var findings: [Finding] = []
        var found = 0
        for path in settings.devices {
            if FileManager.default.fileExists(atPath: path) {
                found += 1
                findings.append(.init(.ok, "scanners", "\(path) present"))
            } else {
                findings.append(
                    .init(.warn, "scanners", "\(path) (scanners.devices) is missing", advice: "plug the scanner in"))
            }
        }
        if settings.discover {
            let discovered = ScannerManager.discover()
            found += discovered.count
            if discovered.isEmpty {
                findings.append(
                    .init(
                        .warn, "scanners", "none found through udev",
                        advice: "plug the scanner in; install udev-rules/70-kiosk-scanners.rules; `kioskctl scan` tests it"))
            } else {
                findings += discovered.map { .init(.ok, "scanners", "\($0)") }
            }
        }
        return (findings, found)
    }

    func framebufferFindings() -> [Finding] {
        let device = environment.framebufferDevice
        let name = URL(fileURLWithPath: device).lastPathComponent
        guard FileManager.default.fileExists(atPath: device) else {
            return [
                .init(
                    .warn, "framebuffer", "\(device) absent (the renderer is \(configuration.renderer.rawValue))",
                    advice: "fine for the terminal renderer; for full-screen graphics check the display cable and "
                        + "the kernel's fbdev/DRM driver")
            ]
        }
        func read(_ attribute: String) -> String? {
            (try? String(contentsOfFile: "\(environment.sysfsGraphics)/\(name)/\(attribute)", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let size = read("virtual_size")?.replacingOccurrences(of: ",", with: "×") ?? "?"
        let bpp = read("bits_per_pixel") ?? "?"
        let stride = read("stride") ?? "?"
        let access = FileManager.default.isWritableFile(atPath: device) ? "" : ", not writable by this user"
        return [.init(access.isEmpty ? .ok : .warn, "framebuffer", "\(device): \(size), \(bpp) bpp, stride \(stride) bytes\(access)",
            advice: access.isEmpty ? nil : "kioskd runs in group video; check `ls -l \(device)`")]
    }

    /// The configured font list (`display.fonts`) loaded through FreeType: which faces draw Chinese and Latin
    /// text. A list without a CJK face would draw every Chinese word as boxes: FAIL when a pixel renderer is
    /// configured (the screen would be unreadable), WARN otherwise.
    public func fontFindings() -> [Finding] {
        let pixelRenderer = configuration.renderer == .framebuffer || configuration.renderer == .png
        let level: Level = pixelRenderer ? .fail : .warn
        let advice = "apt-get install fonts-wqy-microhei, or list a CJK font in display.fonts"
        let source: GlyphSource
        do { source = try GlyphSource(configuration: configuration.fonts) } catch {
            return [.init(level, "fonts", "\(error)", advice: advice)]
        }
        func face(drawing sample: String) -> String? {
            var names: Set<String> = []
            for scalar in sample.unicodeScalars {
                guard case .font(let face, _) = source.origin(of: scalar, bold: false) else { return nil }
                names.insert(source.faceNames[face])
            }
            return names.sorted().joined(separator: ", ")
        }
        let latin = face(drawing: "Please tap 0123")
        guard let chinese = face(drawing: "请刷卡未见异常居家集中观察") else {
            return [.init(level, "fonts", "no configured font has Chinese characters (\(source.faceNames.joined(separator: ", ")))", advice: advice)]
        }
        return [.init(.ok, "fonts", "Chinese: \(chinese); Latin: \(latin ?? "boxes")")]
    }

    func centralFindings() async -> [Finding] {
        guard let settings = configuration.central else {
            return [.init(.ok, "central", "not configured: snapshot-only kiosk")]
        }
        var token = settings.token ?? ""
        if let file = settings.tokenFile {
            token = (try? String(contentsOfFile: file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        }
        let client: CentralClient
        do {
            client = try CentralClient(
                configuration: CentralClientConfiguration(
                    baseURL: settings.baseURL, token: token, kioskID: settings.kioskID, venueID: configuration.venueID,
                    lookupDeadline: .milliseconds(settings.lookupDeadlineMilliseconds),
                    pinnedCertificatePEM: settings.pinnedCertificatePath.flatMap {
                        FileManager.default.contents(atPath: $0).map(Array.init)
                    }),
                logger: logger)
        } catch {
            return [.init(.fail, "central", "cannot set up the client: \(error)", advice: "check central.pinned_certificate")]
        }
        let clock = ContinuousClock()
        let started = clock.now
        var findings: [Finding] = []
        do {
            _ = try await client.manifestBody(since: nil)
            let latency = (clock.now - started).milliseconds
            findings.append(
                .init(
                    latency > Double(settings.lookupDeadlineMilliseconds) ? .warn : .ok, "central",
                    "\(settings.baseURL) answered in \(Int(latency.rounded())) ms",
                    advice: latency > Double(settings.lookupDeadlineMilliseconds)
                        ? "slower than the lookup deadline: taps will be answered from the snapshot" : nil))
        } catch {
            findings.append(
                .init(
                    .warn, "central", "\(settings.baseURL) not reachable: \(error)",
                    advice: "taps are answered from the snapshot; check the network, central.url and the token"))
        }
        if let sample = client.lastClockSample {
            let skew = sample.skew
            let text = "clock skew \(skew >= 0 ? "+" : "")\(Int(skew.rounded())) s against the centre"
            if abs(skew) > settings.maximumClockSkewSeconds {
                findings.append(
                    .init(.fail, "clock", text, advice: "set the kiosk clock (timedatectl; check NTP and the RTC battery)"))
            } else if abs(skew) > 60 {
                findings.append(.init(.warn, "clock", text, advice: "enable NTP: timedatectl set-ntp true"))
            } else {
                findings.append(.init(.ok, "clock", text))
            }
        }
        try? await client.shutdown()
        return findings
    }

    func snapshotFindings() -> [Finding] {
        let path = configuration.snapshotPath
        let setAside = DamagedDatabase.setAsideCopies(of: path).map { copy in
            Finding(
                .warn, "snapshot", "a damaged snapshot was set aside: \(copy)",
                advice: "kioskd started a new one; keep the file for support with the journal, then remove it")
        }
        return setAside + currentSnapshotFindings(path)
    }

    private func currentSnapshotFindings(_ path: String) -> [Finding] {
        guard FileManager.default.fileExists(atPath: path) else {
            return [
                .init(
                    configuration.central == nil ? .fail : .warn, "snapshot", "\(path) does not exist",
                    advice: configuration.central == nil
                        ? "import one: kioskctl snapshot import people.json --snapshot \(path)"
                        : "kioskd fetches it from the centre at start; check the central line above")
            ]
        }
        let metadata: SnapshotMetadata?
        do {
            metadata = try SnapshotStore(path: path).metadata()
        } catch {
            return [.init(.fail, "snapshot", "\(path) cannot be read: \(error)", advice: "check its owner (kiosk) and mode")]
        }
        guard let metadata else {
            return [
                .init(
                    .fail, "snapshot", "\(path) holds no snapshot: offline taps say 'cannot verify'",
                    advice: configuration.central == nil ? "kioskctl snapshot import people.json" : "wait for the first sync")
            ]
        }
        let age = Date().timeIntervalSince(metadata.createdAt)
        let maximum = configuration.maximumSnapshotAgeSeconds
        let signed = metadata.source
        let text =
            "#\(metadata.sequence) epoch \(metadata.epoch), \(metadata.recordCount) keys, "
            + "\(KioskService.age(age)) old (maximum \(KioskService.age(maximum))), from \(signed)"
        if age > maximum {
            return [
                .init(
                    .fail, "snapshot", text,
                    advice: "too old: offline taps say 'cannot verify'; restore the connection to the centre")
            ]
        }
        if age > maximum / 2 {
            return [.init(.warn, "snapshot", text, advice: "getting old: check the sync (journalctl -u kioskd)")]
        }
        return [.init(.ok, "snapshot", text)]
    }

    func visitFindings() -> [Finding] {
        let path = configuration.visitLogPath
        let setAside = DamagedDatabase.setAsideCopies(of: path).map { copy in
            Finding(
                .warn, "visits", "a damaged visit log was set aside: \(copy)",
                advice: "visits in it that were not uploaded exist only there: keep the file and have it recovered "
                    + "(sqlite3 FILE .recover), then remove it")
        }
        return setAside + currentVisitFindings(path)
    }

    private func currentVisitFindings(_ path: String) -> [Finding] {
        guard FileManager.default.fileExists(atPath: path) else {
            return [.init(.ok, "visits", "\(path) not created yet (kioskd creates it)")]
        }
        do {
            let log = try VisitLog(path: path)
            let pending = try log.pendingCount()
            let total = try log.count()
            if configuration.central != nil && pending > environment.visitBacklogWarning {
                return [
                    .init(
                        .warn, "visits", "\(pending) of \(total) visits waiting for upload",
                        advice: "the upload is behind: check the central line above")
                ]
            }
            return [.init(.ok, "visits", "\(total) visits, \(pending) waiting for upload")]
        } catch {
            return [.init(.fail, "visits", "\(path) cannot be opened: \(error)", advice: "check its owner (kiosk) and mode")]
        }
    }
}
