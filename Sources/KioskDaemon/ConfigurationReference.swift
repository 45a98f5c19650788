import Foundation

/// The documents generated from ``KioskConfiguration/keys``: the reference page (`docs/configuration.md`) and the
/// shipped default file (`packaging/kioskd.toml`, installed as `/etc/kioskd/kioskd.toml`). `kioskd
/// --print-config-reference` and `--print-default-config` print them; a test keeps the checked-in copies equal.
public enum ConfigurationReference {
    /// The reference page, Markdown: one table per section with key, type, default, unit and meaning, and the
    /// environment variable of each key.
    public static func markdown() -> String {
        var out = """
            # kioskd configuration reference

            Generated from the key table in `Sources/KioskDaemon/KioskConfiguration+Keys.swift` by
            `kioskd --print-config-reference`; do not edit by hand (a test compares this file with the table).

            `kioskd` reads one TOML file, `\(ConfigurationLoader.defaultPath)` (or `--config PATH`, or
            `$\(ConfigurationLoader.pathVariable)`). Every key is optional; a missing file means all defaults.
            Precedence, highest first: command-line flags, environment variables, the file, the defaults below.
            Each key can be overridden by the environment variable `KIOSKD_<SECTION>_<KEY>` (lists comma-separated,
            booleans `true`/`false`). An unknown key or `KIOSKD_` variable is an error, so a typo never leaves a
            default silently in place. `kioskd --check-config [--config PATH]` checks everything and exits 1 on an
            error without starting the kiosk.

            """
        for section in ConfigurationLoader.sectionOrder {
            out += "\n## [\(section)]\n\n"
            out += "| key | type | default | unit | environment | meaning |\n"
            out += "|---|---|---|---|---|---|\n"
            for key in KioskConfiguration.keys where key.section == section {
                let cells = [
                    "`\(key.name)`", key.type.rawValue, "`\(key.defaultText)`", key.unit ?? "",
                    "`\(key.environmentName)`", key.summary.replacingOccurrences(of: "|", with: "\\|"),
                ]
                out += "| \(cells.joined(separator: " | ")) |\n"
            }
        }
        return out
    }

    /// The shipped `kioskd.toml`: every key commented out at its default, with its meaning above it, so the file
    /// as shipped loads to the defaults and a technician uncomments what the venue needs.
    public static func defaultFile() -> String {
        var out = """
            # /etc/kioskd/kioskd.toml: CardKiosk daemon configuration.
            # Every key is shown commented out at its default. Uncomment and edit what this kiosk needs, then run
            #   kioskd --check-config && systemctl restart kioskd
            # Reference (types, units, environment overrides): /usr/share/doc/cardkiosk/configuration.md

            """
        for section in ConfigurationLoader.sectionOrder {
            out += "\n[\(section)]\n"
            for key in KioskConfiguration.keys where key.section == section {
                out += "# \(key.summary)\(key.unit.map { " Unit: \($0)." } ?? "")\n"
                out += "#\(key.name) = \(literal(key))\n"
            }
        }
        return out
    }

    /// The default as a TOML literal.
    private static func literal(_ key: ConfigurationKey) -> String {
        switch key.type {
        case .string: key.defaultText == "none" ? "\"\"" : "\"\(key.defaultText)\""
        case .integer, .number, .boolean, .strings: key.defaultText
        }
    }
}
