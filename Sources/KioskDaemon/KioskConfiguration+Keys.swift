import Barcode
import Display
import Foundation
import Logging
import SmartCard

extension KioskConfiguration {
    /// Every key of `kioskd.toml`, in the order of the reference. This table is the one place a setting is declared:
    /// `docs/configuration.md` and `packaging/kioskd.toml` are generated from it (`kioskd --print-config-reference`,
    /// `--print-default-config`; a test keeps the checked-in copies equal), and the loader accepts exactly these keys
    /// (anything else is a typo and an error).
    ///
    /// To add a setting: add a field to ``KioskConfiguration`` and one entry here, then regenerate the two files.
    public static let keys: [ConfigurationKey] = kioskKeys + displayKeys + framebufferKeys + soundKeys + storageKeys
        + inputKeys + centralKeys + watchdogKeys + metricsKeys

    private static let defaults = KioskConfiguration()
    private static let centralDefaults = CentralSettings(baseURL: "", kioskID: "", publicKeyBase64: "")

    private static let kioskKeys: [ConfigurationKey] = [
        .init(
            "kiosk", "venue_id", .string, default: defaults.venueID,
            "Venue identifier written into every visit record.",
            apply: { draft, value throws(ConfigurationValue.Problem) in
                draft.configuration.venueID = try value.nonEmptyString("venue id")
            }),
        .init(
            "kiosk", "venue_name", .string, default: defaults.venueName, "Venue name shown on screen.",
            apply: { draft, value throws(ConfigurationValue.Problem) in
                draft.configuration.venueName = try value.string()
            }),
        .init(
            "kiosk", "time_zone", .string, default: defaults.timeZone.identifier,
            "Time zone of the clock and times on screen (an IANA name, e.g. Asia/Shanghai).",
            apply: { draft, value throws(ConfigurationValue.Problem) in
                guard let zone = TimeZone(identifier: try value.string()) else {
                    throw ConfigurationValue.Problem(allowed: "an IANA time zone name such as Asia/Shanghai")
                }
                draft.configuration.timeZone = zone
            }),
        .init(
            "kiosk", "log_level", .string, default: defaults.logLevel.rawValue,
            "Lowest level written to the journal: trace, debug, info, notice, warning, error or critical.",
            apply: { draft, value throws(ConfigurationValue.Problem) in
                let word = try value.oneOf(Logger.Level.allCases.map(\.rawValue))
                draft.configuration.logLevel = Logger.Level(rawValue: word)!
            }),
    ]

    private static let displayKeys: [ConfigurationKey] = [
        .init(
            "display", "renderer", .string, default: defaults.renderer.rawValue,
            "What draws the screens: framebuffer (the panel, /dev/fbN), terminal (full-screen ANSI on the service's terminal), png (each frame to a file, for previews) or none (headless).",
            apply: { draft, value throws(ConfigurationValue.Problem) in
                let word = try value.oneOf(RendererKind.allCases.map(\.rawValue))
                draft.configuration.renderer = RendererKind(rawValue: word)!
            }),
        .init(
            "display", "hold_seconds", .number, default: plainNumber(defaults.holdSeconds), unit: "s",
            "Longest time a result stays on screen, card on the reader or not (privacy); greater than 0, at most 3600.",
            apply: { draft, value throws(ConfigurationValue.Problem) in
                draft.configuration.holdSeconds = try value.number(in: 0...3600, excludingLower: true, "seconds")
            }),
        .init(
            "display", "min_hold_seconds", .number, default: plainNumber(defaults.minimumHoldSeconds), unit: "s",
            "Shortest time a result stays once the card is taken away; 0 to hold_seconds.",
            apply: { draft, value throws(ConfigurationValue.Problem) in
                draft.configuration.minimumHoldSeconds = try value.number(in: 0...3600, "seconds")
            }),
        .init(
            "display", "scan_hold_seconds", .number, default: plainNumber(defaults.scanHoldSeconds), unit: "s",
            "How long a scanned code's result stays (a printed code is never removed); greater than 0, at most 3600.",
            apply: { draft, value throws(ConfigurationValue.Problem) in
                draft.configuration.scanHoldSeconds = try value.number(in: 0...3600, excludingLower: true, "seconds")
            }),
    ]

    private static let framebufferKeys: [ConfigurationKey] = [
        .init(
            "framebuffer", "device", .string, default: defaults.framebuffer.devicePath,
            "Framebuffer device drawn on with renderer = \"framebuffer\"; reopened when it goes away or changes.",
            apply: { draft, value throws(ConfigurationValue.Problem) in
                draft.configuration.framebuffer.devicePath = try value.nonEmptyString("device path")
            }),
        .init(
            "framebuffer", "rotation", .integer, default: String(defaults.framebuffer.rotation.rawValue), unit: "degrees",
            "Software rotation, clockwise: 0, 90, 180 or 270 (90 and 270 give a portrait screen on a landscape panel).",
            apply: { draft, value throws(ConfigurationValue.Problem) in
                guard case .integer(let degrees) = value, let rotation = FramebufferRotation(degrees: degrees) else {
                    throw ConfigurationValue.Problem(allowed: "0, 90, 180 or 270")
                }
                draft.configuration.framebuffer.rotation = rotation
            }),
        .init(
            "framebuffer", "console", .string, default: "none",
            "The VT switched to graphics mode while kioskd draws (e.g. /dev/tty1); empty for the foreground VT.",
            apply: { draft, value throws(ConfigurationValue.Problem) in
                draft.configuration.framebuffer.consolePath = try value.optionalString()
            }),
        .init(
            "framebuffer", "own_console", .boolean, default: String(defaults.framebuffer.ownsConsole),
            "Switch the VT to graphics mode (no cursor or kernel messages over the screen) and back on exit.",
            apply: { draft, value throws(ConfigurationValue.Problem) in
                draft.configuration.framebuffer.ownsConsole = try value.boolean()
            }),
        .init(
            "display", "png_path", .string, default: defaults.pngOutput.path,
            "With renderer = \"png\": the file each frame is written to.",
            apply: { draft, value throws(ConfigurationValue.Problem) in
                draft.configuration.pngOutput.path = try value.nonEmptyString("file path")
            }),
        .init(
            "display", "png_width", .integer, default: String(defaults.pngOutput.width), unit: "px",
            "With renderer = \"png\": image width, 16 to 8192.",
            apply: { draft, value throws(ConfigurationValue.Problem) in
                draft.configuration.pngOutput.width = try value.integer(in: 16...8192, "pixels")
            }),
        .init(
            "display", "png_height", .integer, default: String(defaults.pngOutput.height), unit: "px",
            "With renderer = \"png\": image height, 16 to 8192.",
            apply: { draft, value throws(ConfigurationValue.Problem) in
                draft.configuration.pngOutput.height = try value.integer(in: 16...8192, "pixels")
            }),
        .init(
            "display", "fonts", .strings, default: "[]",
            "Font files for text, in fallback order: each \"FILE\" or \"FILE#FACE\" (a face of a .ttc collection, from 0); the first that has a character draws it, a character none has is drawn as a box. [] = Debian's DejaVu Sans, Noto Sans CJK SC (if installed), WenQuanYi Micro Hei. List a CJK font, e.g. \"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc\".",
            apply: { draft, value throws(ConfigurationValue.Problem) in
                let faces = try fontFaces(value)
                if !faces.isEmpty { draft.configuration.fonts.regular = faces }
            }),
        .init(
            "display", "bold_fonts", .strings, default: "[]",
            "Bold font files for the status word and headings, same form as fonts; where none has a character, the regular font is emboldened. [] = DejaVu Sans Bold and Noto Sans CJK SC Bold (if installed).",
            apply: { draft, value throws(ConfigurationValue.Problem) in
                let faces = try fontFaces(value)
                if !faces.isEmpty { draft.configuration.fonts.bold = faces }
            }),
        .init(
            "display", "several_people_window_seconds", .number,
            default: plainNumber(defaults.severalPeopleWindowSeconds), unit: "s",
            "他人代查: a different card tapped this soon after a result, while it is shown, joins it as a tile (up to 4); 0 turns it off (a queue of strangers must not see each other's tiles).",
            apply: { draft, value throws(ConfigurationValue.Problem) in
                draft.configuration.severalPeopleWindowSeconds = try value.number(in: 0...600, "seconds")
            }),
    ]

    private static let soundKeys: [ConfigurationKey] = [
        .init(
            "sound", "enabled", .boolean, default: String(defaults.sound.enabled),
            "Play a short distinct tone per result (never delays the screen).",
            apply: { draft, value throws(ConfigurationValue.Problem) in
                draft.configuration.sound.enabled = try value.boolean()
            }),
        .init(
            "sound", "player_command", .strings, default: "[" + SoundConfiguration.defaultPlayerCommand.map { "\"\($0)\"" }.joined(separator: ", ") + "]",
            "Player reading raw signed 16-bit little-endian mono PCM on standard input, as argv.",
            apply: { draft, value throws(ConfigurationValue.Problem) in
                let argv = try value.strings()
                guard !argv.isEmpty else { throw ConfigurationValue.Problem(allowed: "a command and its arguments") }
                draft.configuration.sound.playerCommand = argv
            }),
        .init(
            "sound", "sample_rate", .integer, default: String(defaults.sound.sampleRate), unit: "Hz",
            "Sample rate of the PCM given to the player, 8000 to 48000.",
            apply: { draft, value throws(ConfigurationValue.Problem) in
                draft.configuration.sound.sampleRate = try value.integer(in: 8000...48_000, "Hz")
            }),
        .init(
            "sound", "speech_command", .strings, default: "[]",
            "Also speak the result: argv given the words as its last argument (e.g. [\"espeak-ng\", \"-v\", \"zh\"]); empty for none.",
            apply: { draft, value throws(ConfigurationValue.Problem) in
                let argv = try value.strings()
                draft.configuration.sound.speechCommand = argv.isEmpty ? nil : argv
            }),
    ]

    private static let storageKeys: [ConfigurationKey] = [
        .init(
            "storage", "snapshot_path", .string, default: defaults.snapshotPath,
            "The offline status snapshot (SQLite); created if missing, filled by the sync or `kioskctl snapshot import`.",
            apply: { draft, value throws(ConfigurationValue.Problem) in
                draft.configuration.snapshotPath = try value.nonEmptyString("path")
            }),
        .init(
            "storage", "visit_log_path", .string, default: defaults.visitLogPath,
            "The visit log (SQLite, store-and-forward); created if missing.",
            apply: { draft, value throws(ConfigurationValue.Problem) in
                draft.configuration.visitLogPath = try value.nonEmptyString("path")
            }),
        .init(
            "storage", "state_directory", .string, default: "none",
            "Directory for partial snapshot downloads (systemd's StateDirectory=kiosk); empty: the directory of "
                + "snapshot_path.",
            apply: { draft, value throws(ConfigurationValue.Problem) in
                guard let path = try value.optionalString() else { return }
                draft.central.stateDirectory = path
                draft.stateDirectoryGiven = true
            }),
        .init(
            "storage", "max_snapshot_age_hours", .number,
            default: plainNumber(defaults.maximumSnapshotAgeSeconds / 3600), unit: "h",
            "A snapshot older than this answers 'cannot verify', never a stale green; greater than 0, at most 8760.",
            apply: { draft, value throws(ConfigurationValue.Problem) in
                draft.configuration.maximumSnapshotAgeSeconds =
                    try value.number(in: 0...8760, excludingLower: true, "hours") * 3600
            }),
    ]

    private static let inputKeys: [ConfigurationKey] = [
        .init(
            "readers", "ignore", .strings, default: "[\"SAM\", \"SIM\"]",
            "PC/SC readers whose name contains any of these texts are not used (SAM/SIM slots always hold a card).",
            apply: { draft, value throws(ConfigurationValue.Problem) in
                draft.configuration.ignoredReaderNames = try value.strings()
            }),
        .init(
            "sam", "device", .string, default: "none",
            "Serial device of a GA 467 SAM ID-card reader, e.g. /dev/kiosk-sam (the udev symlink); empty for none.",
            apply: { draft, value throws(ConfigurationValue.Problem) in
                draft.configuration.samDevicePath = try value.optionalString()
            }),
        .init(
            "sam", "baud", .integer, default: String(defaults.samBaudRate), unit: "baud",
            "Line speed of the SAM reader (a standard serial speed; most modules use 115200).",
            apply: { draft, value throws(ConfigurationValue.Problem) in
                let speeds = SerialSpeed.supported.map(\.baud)
                guard case .integer(let baud) = value, speeds.contains(baud) else {
                    throw ConfigurationValue.Problem(
                        allowed: "one of: \(speeds.map(String.init).joined(separator: ", "))")
                }
                draft.configuration.samBaudRate = baud
            }),
        .init(
            "scanners", "discover", .boolean, default: String(defaults.scanners.discover),
            "Find barcode scanners through udev at start and on hotplug.",
            apply: { draft, value throws(ConfigurationValue.Problem) in
                draft.configuration.scanners.discover = try value.boolean()
            }),
        .init(
            "scanners", "devices", .strings, default: "[]",
            "Scanner devices to open in any case (evdev /dev/input/…, hidraw, ttyACM…; the kind is told by the path); "
                + "one that is unplugged or missing is opened again once its path is back.",
            apply: { draft, value throws(ConfigurationValue.Problem) in
                draft.configuration.scanners.devices = try value.strings()
            }),
        .init(
            "scanners", "keyboard_layout", .string, default: defaults.scanners.keyboardLayout.rawValue,
            "Keyboard country a keyboard-wedge scanner types in: us, uk, de or fr.",
            apply: { draft, value throws(ConfigurationValue.Problem) in
                let word = try value.oneOf(KeyboardLayout.allCases.map(\.rawValue))
                draft.configuration.scanners.keyboardLayout = KeyboardLayout(rawValue: word)!
            }),
    ]

    private static let centralKeys: [ConfigurationKey] = [
        central(
            "url", .string, default: "none",
            "Base URL of the central service, e.g. https://central.example.org; leave the [central] section out for a "
                + "snapshot-only kiosk.",
            apply: { settings, value throws(ConfigurationValue.Problem) in
                let text = try value.nonEmptyString("URL")
                guard let url = URL(string: text), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                    throw ConfigurationValue.Problem(allowed: "an http:// or https:// URL with a host")
                }
                settings.baseURL = text
            }),
        central(
            "kiosk_id", .string, default: "none", "This kiosk's id, sent with every request (required with url).",
            apply: { settings, value throws(ConfigurationValue.Problem) in
                settings.kioskID = try value.nonEmptyString("kiosk id")
            }),
        central(
            "token_file", .string, default: "none",
            "File holding this kiosk's bearer token, readable only by the service (mode 0600 or 0640 root:kiosk); "
                + "token_file or token is required with url.",
            apply: { settings, value throws(ConfigurationValue.Problem) in
                settings.tokenFile = try value.nonEmptyString("path")
            }),
        central(
            "token", .string, default: "none",
            "The bearer token itself; prefer token_file, so this file can stay world-readable.",
            apply: { settings, value throws(ConfigurationValue.Problem) in
                settings.token = try value.nonEmptyString("token")
            }),
        central(
            "public_key", .string, default: "none",
            "The centre's Ed25519 snapshot-manifest key, base64 of 32 bytes (`kiosk-central keygen` prints it; "
                + "required with url).",
            apply: { settings, value throws(ConfigurationValue.Problem) in
                let text = try value.string()
                guard let bytes = Data(base64Encoded: text), bytes.count == 32 else {
                    throw ConfigurationValue.Problem(allowed: "base64 of a 32-byte Ed25519 public key")
                }
                settings.publicKeyBase64 = text
            }),
        central(
            "pinned_certificate", .string, default: "none",
            "A PEM certificate trusted instead of the system roots (certificate pinning).",
            apply: { settings, value throws(ConfigurationValue.Problem) in
                settings.pinnedCertificatePath = try value.optionalString()
            }),
        central(
            "lookup_deadline_ms", .integer, default: String(centralDefaults.lookupDeadlineMilliseconds), unit: "ms",
            "The whole online lookup; past it the snapshot answers. 50 to 10000.",
            apply: { settings, value throws(ConfigurationValue.Problem) in
                settings.lookupDeadlineMilliseconds = try value.integer(in: 50...10_000, "milliseconds")
            }),
        central(
            "sync_interval_seconds", .number, default: plainNumber(centralDefaults.syncIntervalSeconds), unit: "s",
            "Snapshot sync period (and one sync at start); 10 to 86400.",
            apply: { settings, value throws(ConfigurationValue.Problem) in
                settings.syncIntervalSeconds = try value.number(in: 10...86_400, "seconds")
            }),
        central(
            "upload_interval_seconds", .number, default: plainNumber(centralDefaults.uploadIntervalSeconds),
            unit: "s", "Visit upload period while uploads succeed; 1 to 86400.",
            apply: { settings, value throws(ConfigurationValue.Problem) in
                settings.uploadIntervalSeconds = try value.number(in: 1...86_400, "seconds")
            }),
        central(
            "max_clock_skew_seconds", .number, default: plainNumber(centralDefaults.maximumClockSkewSeconds),
            unit: "s", "Warn when the centre's Date header differs from the kiosk clock by more; 1 to 86400.",
            apply: { settings, value throws(ConfigurationValue.Problem) in
                settings.maximumClockSkewSeconds = try value.number(in: 1...86_400, "seconds")
            }),
        central(
            "visit_retention_days", .number, default: plainNumber(centralDefaults.visitRetentionDays), unit: "days",
            "Uploaded visits older than this are deleted from the kiosk; 0 to 365.",
            apply: { settings, value throws(ConfigurationValue.Problem) in
                settings.visitRetentionDays = try value.number(in: 0...365, "days")
            }),
        central(
            "initial_manifest", .string, default: "none",
            "A signed snapshot manifest shipped with the installation, installed when no snapshot is there yet "
                + "(with initial_payload).",
            apply: { settings, value throws(ConfigurationValue.Problem) in
                settings.initialManifestPath = try value.optionalString()
            }),
        central(
            "initial_payload", .string, default: "none", "The payload belonging to initial_manifest.",
            apply: { settings, value throws(ConfigurationValue.Problem) in
                settings.initialPayloadPath = try value.optionalString()
            }),
    ]

    private static let watchdogKeys: [ConfigurationKey] = [
        .init(
            "watchdog", "tap_stall_seconds", .number, default: plainNumber(defaults.tapStallSeconds), unit: "s",
            "Under systemd's WatchdogSec=, a tap still in progress after this long counts as stuck and WATCHDOG=1 is "
                + "withheld, so systemd restarts kioskd; 1 to 600.",
            apply: { draft, value throws(ConfigurationValue.Problem) in
                draft.configuration.tapStallSeconds = try value.number(in: 1...600, "seconds")
            })
    ]

    private static let metricsKeys: [ConfigurationKey] = [
        .init(
            "metrics", "listen", .string, default: "none",
            "host:port for Prometheus metrics at /metrics (taps, results by provenance, tap-to-frame latency, snapshot "
                + "age, visits waiting, inputs connected), e.g. 127.0.0.1:9464; empty: off.",
            apply: { draft, value throws(ConfigurationValue.Problem) in
                guard let listen = try value.optionalString() else { return }
                _ = try KioskMetrics.parse(listen)
                draft.configuration.metricsListen = listen
            })
    ]

    /// A `[central]` key: fills the draft's ``CentralSettings`` and marks the section as used.
    private static func central(
        _ name: String, _ type: ConfigurationKey.ValueType, default defaultText: String, unit: String? = nil,
        _ summary: String,
        apply: @escaping @Sendable (inout CentralSettings, ConfigurationValue) throws(ConfigurationValue.Problem) -> Void
    ) -> ConfigurationKey {
        ConfigurationKey(
            "central", name, type, default: defaultText, unit: unit, summary,
            apply: { draft, value throws(ConfigurationValue.Problem) in
                draft.centralKeys.insert(name)  // even when the value is wrong: the section is in use
                try apply(&draft.central, value)
            })
    }
}

/// The faces of a `display.fonts`/`display.bold_fonts` list: absolute paths of files that exist, `FILE#FACE` for a
/// face of a collection.
private func fontFaces(_ value: ConfigurationValue) throws(ConfigurationValue.Problem) -> [FontConfiguration.Face] {
    var faces: [FontConfiguration.Face] = []
    for text in try value.strings() {
        guard let face = FontConfiguration.Face(parsing: text), face.path.hasPrefix("/") else {
            throw ConfigurationValue.Problem(allowed: "absolute font file paths, FILE or FILE#FACE (got \"\(text)\")")
        }
        guard FileManager.default.fileExists(atPath: face.path) else {
            throw ConfigurationValue.Problem(allowed: "font files that exist (no file at \(face.path))")
        }
        faces.append(face)
    }
    return faces
}
