import Barcode
import Foundation
import KioskDaemon
import Logging
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `kioskd.toml` through real files in a temporary directory: values, precedence, every kind of mistake.
struct ConfigurationLoaderTests {
    /// A temporary directory with a `kioskd.toml` of the given text (and whatever else a test writes there).
    final class ConfigDirectory {
        let url: URL
        init() throws {
            url = FileManager.default.temporaryDirectory.appendingPathComponent("kioskd-config-\(UUID())")
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        }
        deinit { try? FileManager.default.removeItem(at: url) }

        @discardableResult
        func write(_ name: String, _ text: String, mode: Int = 0o644) throws -> String {
            let path = url.appendingPathComponent(name).path
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            chmod(path, mode_t(mode))
            return path
        }
    }

    /// A default path that never exists, so a kioskd.toml installed on the test machine changes nothing.
    static let absent = "/nonexistent-kioskd-test/kioskd.toml"
    static let publicKey = Data(repeating: 7, count: 32).base64EncodedString()

    func problems(_ body: () throws -> Void) -> [ConfigurationError.Problem] {
        do {
            try body()
            Issue.record("expected a ConfigurationError")
            return []
        } catch let error as ConfigurationError {
            return error.problems
        } catch {
            Issue.record("unexpected error \(error)")
            return []
        }
    }

    @Test func missingDefaultFileMeansDefaults() throws {
        let directory = try ConfigDirectory()
        let absent = directory.url.appendingPathComponent("kioskd.toml").path
        let loaded = try ConfigurationLoader.load(path: nil, environment: [:], flags: [:], defaultPath: absent)
        #expect(loaded.file == nil)
        #expect(loaded.configuration.snapshotPath == "/var/lib/kiosk/snapshot.sqlite")
        #expect(loaded.configuration.holdSeconds == 10)
        #expect(loaded.configuration.central == nil)
        #expect(loaded.configuration.logLevel == .notice)

        let present = try directory.write("kioskd.toml", "[display]\nhold_seconds = 11\n")
        let fromDefault = try ConfigurationLoader.load(path: nil, environment: [:], flags: [:], defaultPath: present)
        #expect(fromDefault.file == present)
        #expect(fromDefault.configuration.holdSeconds == 11)
    }

    @Test func everySectionFillsTheConfiguration() throws {
        let directory = try ConfigDirectory()
        let token = try directory.write("token", "secret-token\n", mode: 0o600)
        let file = try directory.write(
            "kioskd.toml",
            """
            [kiosk]
            venue_id = "gate-3"
            venue_name = "东门 East gate"
            time_zone = "Europe/Berlin"
            log_level = "debug"

            [display]
            renderer = "none"
            hold_seconds = 12.5
            min_hold_seconds = 2
            scan_hold_seconds = 4

            [storage]
            snapshot_path = "/srv/kiosk/snapshot.sqlite"
            visit_log_path = "/srv/kiosk/visits.sqlite"
            max_snapshot_age_hours = 24

            [readers]
            ignore = ["SAM", "Contactless 01"]

            [sam]
            device = "/dev/kiosk-sam"
            baud = 9600

            [scanners]
            discover = false
            devices = ["/dev/input/kiosk-scanner"]
            keyboard_layout = "de"

            [central]
            url = "https://central.example.org"
            kiosk_id = "kiosk-0007"
            token_file = "\(token)"
            public_key = "\(Self.publicKey)"
            lookup_deadline_ms = 600
            sync_interval_seconds = 120

            [watchdog]
            tap_stall_seconds = 30
            """)
        let loaded = try ConfigurationLoader.load(path: file, environment: [:], flags: [:])
        let c = loaded.configuration
        #expect(loaded.file == file)
        #expect(loaded.warnings.isEmpty)
        #expect(c.venueID == "gate-3")
        #expect(c.venueName == "东门 East gate")
        #expect(c.timeZone.identifier == "Europe/Berlin")
        #expect(c.logLevel == .debug)
        #expect(c.renderer == .none)
        #expect(c.holdSeconds == 12.5)
        #expect(c.minimumHoldSeconds == 2)
        #expect(c.scanHoldSeconds == 4)
        #expect(c.snapshotPath == "/srv/kiosk/snapshot.sqlite")
        #expect(c.visitLogPath == "/srv/kiosk/visits.sqlite")
        #expect(c.maximumSnapshotAgeSeconds == 24 * 3600)
        #expect(c.ignoredReaderNames == ["SAM", "Contactless 01"])
        #expect(c.samDevicePath == "/dev/kiosk-sam")
        #expect(c.samBaudRate == 9600)
        #expect(c.scanners.discover == false)
        #expect(c.scanners.devices == ["/dev/input/kiosk-scanner"])
        #expect(c.scanners.keyboardLayout == .de)
        #expect(c.tapStallSeconds == 30)
        let central = try #require(c.central)
        #expect(central.baseURL == "https://central.example.org")
        #expect(central.kioskID == "kiosk-0007")
        #expect(central.tokenFile == token)
        #expect(central.publicKeyBase64 == Self.publicKey)
        #expect(central.lookupDeadlineMilliseconds == 600)
        #expect(central.syncIntervalSeconds == 120)
        #expect(central.uploadIntervalSeconds == 30)  // default kept
        #expect(central.stateDirectory == "/srv/kiosk")  // the snapshot's directory when not given
    }

    @Test func flagsBeatEnvironmentBeatFileBeatDefaults() throws {
        let directory = try ConfigDirectory()
        let file = try directory.write("kioskd.toml", "[display]\nhold_seconds = 12\n[kiosk]\nvenue_id = \"from-file\"\n")
        let environment = ["KIOSKD_DISPLAY_HOLD_SECONDS": "15", "KIOSKD_KIOSK_VENUE_NAME": "Env venue"]
        let flags = ["display.hold_seconds": "20"]

        let all = try ConfigurationLoader.load(path: file, environment: environment, flags: flags).configuration
        #expect(all.holdSeconds == 20)
        #expect(all.venueName == "Env venue")
        #expect(all.venueID == "from-file")
        #expect(all.scanHoldSeconds == 6)  // default

        let noFlags = try ConfigurationLoader.load(path: file, environment: environment, flags: [:]).configuration
        #expect(noFlags.holdSeconds == 15)
        let fileOnly = try ConfigurationLoader.load(path: file, environment: [:], flags: [:]).configuration
        #expect(fileOnly.holdSeconds == 12)
    }

    @Test func environmentNamesTheConfigFileAndParsesListsAndBooleans() throws {
        let directory = try ConfigDirectory()
        let file = try directory.write("other.toml", "[kiosk]\nvenue_id = \"via-env-path\"\n")
        let loaded = try ConfigurationLoader.load(
            path: nil,
            environment: [
                "KIOSKD_CONFIG": file, "KIOSKD_READERS_IGNORE": "SAM, SIM ,Slot 2",
                "KIOSKD_SCANNERS_DISCOVER": "no", "KIOSKD_SAM_BAUD": "19200", "PATH": "/usr/bin",
            ],
            flags: [:], defaultPath: Self.absent)
        #expect(loaded.file == file)
        #expect(loaded.configuration.venueID == "via-env-path")
        #expect(loaded.configuration.ignoredReaderNames == ["SAM", "SIM", "Slot 2"])
        #expect(loaded.configuration.scanners.discover == false)
        #expect(loaded.configuration.samBaudRate == 19200)
    }

    @Test func unknownKeysSectionsAndVariablesAreErrorsWithASuggestion() throws {
        let directory = try ConfigDirectory()
        let file = try directory.write(
            "kioskd.toml", "venue_id = \"x\"\n[display]\nhold_second = 5\n[dispaly]\nrenderer = \"none\"\n")
        let found = problems {
            _ = try ConfigurationLoader.load(path: file, environment: ["KIOSKD_DISPLAY_HOLD_SECOND": "3"], flags: [:])
        }
        let byKey = Dictionary(found.map { ($0.key ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        let key = try #require(byKey["display.hold_second"])
        #expect(key.source == file)
        #expect(key.message.contains("unknown key; did you mean display.hold_seconds?"))
        let section = try #require(byKey["[dispaly]"])
        #expect(section.message.contains("did you mean [display]?"))
        let variable = try #require(byKey["KIOSKD_DISPLAY_HOLD_SECOND"])
        #expect(variable.source == "environment")
        #expect(variable.message.contains("did you mean KIOSKD_DISPLAY_HOLD_SECONDS?"))
        let topLevel = try #require(byKey["venue_id"])
        #expect(topLevel.message.contains("kiosk.venue_id"))
        #expect(found.count == 4)
    }

    @Test func badValuesNameTheKeyAndWhatIsAllowed() throws {
        let directory = try ConfigDirectory()
        let file = try directory.write(
            "kioskd.toml",
            """
            [display]
            hold_seconds = -1
            renderer = "hologram"
            [kiosk]
            time_zone = "Mars/Olympus"
            [sam]
            baud = 12345
            [readers]
            ignore = "SAM"
            """)
        let found = problems { _ = try ConfigurationLoader.load(path: file, environment: [:], flags: [:]) }
        let text = found.map(\.description)
        #expect(
            text.contains(
                "\(file): display.hold_seconds: must be seconds greater than 0 and at most 3600 (got -1)"))
        let renderers = KioskConfiguration.RendererKind.allCases.map(\.rawValue).joined(separator: ", ")
        #expect(text.contains("\(file): display.renderer: must be one of: \(renderers) (got \"hologram\")"))
        #expect(text.contains { $0.hasPrefix("\(file): kiosk.time_zone: must be an IANA time zone name") })
        #expect(text.contains { $0.hasPrefix("\(file): sam.baud: must be one of: ") && $0.contains("115200") })
        #expect(text.contains { $0.hasPrefix("\(file): readers.ignore: must be a list of strings") })
        #expect(found.count == 5)
    }

    @Test func environmentAndFlagValuesAreCheckedAndNamed() {
        let found = problems {
            _ = try ConfigurationLoader.load(
                path: nil, environment: ["KIOSKD_DISPLAY_SCAN_HOLD_SECONDS": "soon"],
                flags: ["display.min_hold_seconds": "5000"], defaultPath: Self.absent)
        }
        let text = found.map(\.description)
        #expect(text.contains("environment KIOSKD_DISPLAY_SCAN_HOLD_SECONDS: display.scan_hold_seconds: must be a number"))
        #expect(text.contains("command line: display.min_hold_seconds: must be seconds from 0 to 3600 (got 5000)"))
    }

    @Test func minimumHoldAboveHoldIsAnError() {
        let found = problems {
            _ = try ConfigurationLoader.load(
                path: nil, environment: [:], flags: ["display.hold_seconds": "5", "display.min_hold_seconds": "8"],
                defaultPath: Self.absent)
        }
        #expect(found.map(\.description) == ["command line: display.min_hold_seconds: must be at most display.hold_seconds (5)"])
    }

    @Test func metricsAreOffByDefaultAndNeedHostAndPort() throws {
        #expect(try ConfigurationLoader.load(path: nil, defaultPath: Self.absent).configuration.metricsListen == nil)
        let on = try ConfigurationLoader.load(
            path: nil, environment: ["KIOSKD_METRICS_LISTEN": "127.0.0.1:9464"], defaultPath: Self.absent)
        #expect(on.configuration.metricsListen == "127.0.0.1:9464")
        let found = problems {
            _ = try ConfigurationLoader.load(path: nil, flags: [:], defaultPath: Self.absent)
            _ = try ConfigurationLoader.load(
                path: nil, environment: ["KIOSKD_METRICS_LISTEN": "9464"], defaultPath: Self.absent)
        }
        #expect(
            found.map(\.description) == [
                "environment KIOSKD_METRICS_LISTEN: metrics.listen: must be host:port, e.g. 127.0.0.1:9464, or empty "
                    + "for off (got \"9464\")"
            ])
    }

    @Test func tomlSyntaxErrorsGiveLineAndColumn() throws {
        let directory = try ConfigDirectory()
        let file = try directory.write("kioskd.toml", "[display]\nhold_seconds = 10\nrenderer = terminal\n")
        let found = problems { _ = try ConfigurationLoader.load(path: file, environment: [:], flags: [:]) }
        #expect(found.count == 1)
        #expect(found.first?.source.hasPrefix("\(file):3:") == true)
        #expect(found.first?.message.hasPrefix("not valid TOML") == true)
    }

    @Test func anExplicitFileMustExist() {
        let path = "/nonexistent-\(UUID())/kioskd.toml"
        let found = problems { _ = try ConfigurationLoader.load(path: path, environment: [:], flags: [:]) }
        #expect(found.map(\.description) == ["\(path): no such file"])
    }

    @Test func centralNeedsItsRequiredKeys() throws {
        let directory = try ConfigDirectory()
        let file = try directory.write("kioskd.toml", "[central]\nurl = \"ftp://central\"\n")
        let found = problems { _ = try ConfigurationLoader.load(path: file, environment: [:], flags: [:]) }
        let text = found.map(\.description)
        #expect(text.contains { $0.hasPrefix("\(file): central.url: must be an http:// or https:// URL") })
        #expect(text.contains("\(file): central.kiosk_id: is required when [central] is used"))
        #expect(text.contains("\(file): central.public_key: is required when [central] is used"))
        #expect(text.contains("\(file): central.token_file: is required when [central] is used (or central.token)"))
    }

    @Test func tokenFileMustBeReadableAndShouldBePrivate() throws {
        let directory = try ConfigDirectory()
        let open = try directory.write("token-open", "tok\n", mode: 0o644)
        let group = try directory.write("token-group", "tok\n", mode: 0o640)
        let empty = try directory.write("token-empty", "  \n", mode: 0o600)
        func central(_ tokenFile: String) -> [String: String] {
            [
                "central.url": "http://127.0.0.1:9", "central.kiosk_id": "k1", "central.public_key": Self.publicKey,
                "central.token_file": tokenFile,
            ]
        }
        let worldReadable = try ConfigurationLoader.load(path: nil, environment: [:], flags: central(open), defaultPath: Self.absent)
        #expect(worldReadable.warnings == ["central.token_file \(open) is readable by everyone (mode 644): chown kiosk:kiosk and chmod 0600 it"])
        let groupReadable = try ConfigurationLoader.load(path: nil, environment: [:], flags: central(group), defaultPath: Self.absent)
        #expect(groupReadable.warnings.first?.contains("readable by its group (mode 640)") == true)

        let emptyProblems = problems { _ = try ConfigurationLoader.load(path: nil, environment: [:], flags: central(empty), defaultPath: Self.absent) }
        #expect(emptyProblems.map(\.description) == ["command line: central.token_file: \(empty) is empty"])
        let missing = directory.url.appendingPathComponent("no-token").path
        let missingProblems = problems {
            _ = try ConfigurationLoader.load(path: nil, environment: [:], flags: central(missing), defaultPath: Self.absent)
        }
        #expect(missingProblems.first?.message.hasPrefix("cannot read \(missing)") == true)
    }

    @Test func anInlineTokenInAWorldReadableFileIsWarnedAbout() throws {
        let directory = try ConfigDirectory()
        let file = try directory.write(
            "kioskd.toml",
            "[central]\nurl = \"http://127.0.0.1:9\"\nkiosk_id = \"k\"\ntoken = \"t\"\npublic_key = \"\(Self.publicKey)\"\n",
            mode: 0o644)
        let loaded = try ConfigurationLoader.load(path: file, environment: [:], flags: [:])
        #expect(loaded.configuration.central?.token == "t")
        #expect(loaded.warnings.count == 1)
        #expect(loaded.warnings.first?.hasPrefix("\(file) holds central.token and is world-readable") == true)
    }

    // MARK: the generated documents

    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func checkedInReferenceMatchesTheKeyTable() throws {
        let checkedIn = try String(
            contentsOf: Self.repository.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        #expect(
            checkedIn == ConfigurationReference.markdown(),
            "docs/configuration.md is stale: regenerate with `kioskd --print-config-reference > docs/configuration.md`")
        for key in KioskConfiguration.keys {
            #expect(checkedIn.contains("`\(key.environmentName)`"))
        }
    }

    @Test func shippedDefaultFileMatchesAndLoadsToTheDefaults() throws {
        let path = Self.repository.appendingPathComponent("packaging/kioskd.toml").path
        let checkedIn = try String(contentsOfFile: path, encoding: .utf8)
        #expect(
            checkedIn == ConfigurationReference.defaultFile(),
            "packaging/kioskd.toml is stale: regenerate with `kioskd --print-default-config > packaging/kioskd.toml`")
        let loaded = try ConfigurationLoader.load(path: path, environment: [:], flags: [:])
        let defaults = KioskConfiguration()
        #expect(loaded.configuration.holdSeconds == defaults.holdSeconds)
        #expect(loaded.configuration.snapshotPath == defaults.snapshotPath)
        #expect(loaded.configuration.ignoredReaderNames == defaults.ignoredReaderNames)
        #expect(loaded.configuration.central == nil)
    }

    @Test func everyDefaultInTheShippedFileIsAcceptedWhenUncommented() throws {
        // Uncommenting a key with a real default must never produce an error (keys whose default is "none" are
        // empty strings, which only some keys accept, so they are left out).
        let directory = try ConfigDirectory()
        var text = ""
        var section = ""
        for line in ConfigurationReference.defaultFile().split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("[") {
                section = String(line)
                text += line + "\n"
            } else if line.hasPrefix("#"), line.contains(" = "), !line.hasPrefix("# "), !line.contains("= \"\""),
                section != "[central]"
            {
                text += line.dropFirst() + "\n"
            }
        }
        let file = try directory.write("uncommented.toml", text)
        let loaded = try ConfigurationLoader.load(path: file, environment: [:], flags: [:])
        #expect(loaded.configuration.holdSeconds == 10)
        #expect(text.contains("hold_seconds = 10"))
    }
}
