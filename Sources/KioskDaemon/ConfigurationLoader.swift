import Foundation
import TOMLKit

#if canImport(Glibc)
import Glibc
#endif

/// Loads a ``KioskConfiguration`` from `kioskd.toml`, `KIOSKD_*` environment variables and `kioskd`'s flags.
///
/// Precedence, highest first: flags, environment, file, the defaults in ``KioskConfiguration``. Every key is one of
/// ``KioskConfiguration/keys``; an unknown key in the file or an unknown `KIOSKD_` variable is an error (a typo
/// must not silently leave a default in place). All problems are collected and thrown together, each naming where
/// the value came from (the file, the variable or the flag), the key and what is allowed.
public enum ConfigurationLoader {
    /// Where `kioskd` looks when neither `--config` nor `KIOSKD_CONFIG` names a file.
    public static let defaultPath = "/etc/kioskd/kioskd.toml"
    /// The environment variable naming the configuration file (like `--config`, which wins over it).
    public static let pathVariable = "KIOSKD_CONFIG"

    /// A loaded configuration and what the technician should know about it.
    public struct Loaded: Sendable {
        public var configuration: KioskConfiguration
        /// The file that was read, or `nil` when there was none (the default path is optional).
        public var file: String?
        /// Things that work but should be fixed, e.g. a token file others can read.
        public var warnings: [String]
    }

    /// Loads and checks the configuration.
    /// - Parameters:
    ///   - path: the file given with `--config`; it must exist. `nil`: `$KIOSKD_CONFIG` (must exist), else
    ///     ``defaultPath`` if it exists, else no file.
    ///   - environment: the process environment (`ProcessInfo.processInfo.environment`); `KIOSKD_SECTION_KEY`
    ///     variables override the file.
    ///   - flags: values given on the command line, by key path (`"display.hold_seconds"`), as text.
    ///   - defaultPath: the optional file read when neither `path` nor `$KIOSKD_CONFIG` names one.
    /// - Throws: ``ConfigurationError`` listing every problem found.
    public static func load(
        path: String? = nil, environment: [String: String] = [:], flags: [String: String] = [:],
        defaultPath: String = Self.defaultPath
    ) throws(ConfigurationError) -> Loaded {
        var problems: [ConfigurationError.Problem] = []
        var warnings: [String] = []
        var values: [String: (value: ConfigurationValue, source: String)] = [:]

        let file = path ?? environment[pathVariable] ?? (FileManager.default.fileExists(atPath: defaultPath) ? defaultPath : nil)
        if let file {
            do {
                let read = try readFile(file)
                for (key, value) in read.values { values[key] = (value, file) }
                problems += read.problems
            } catch {
                problems += error.problems
            }
            if let mode = permissions(of: file), mode & 0o004 != 0, values["central.token"] != nil {
                warnings.append(
                    "\(file) holds central.token and is world-readable: move the token to central.token_file "
                        + "(mode 0600, owner kiosk) or chmod 0640 the file")
            }
        }

        let byEnvironmentName = Dictionary(uniqueKeysWithValues: KioskConfiguration.keys.map { ($0.environmentName, $0) })
        for (name, text) in environment.sorted(by: { $0.key < $1.key })
        where name.hasPrefix("KIOSKD_") && name != pathVariable {
            guard let key = byEnvironmentName[name] else {
                let hint = closest(to: name, among: byEnvironmentName.keys.sorted()).map { "; did you mean \($0)?" } ?? ""
                problems.append(.init(source: "environment", key: name, message: "unknown variable\(hint)"))
                continue
            }
            do {
                values[key.path] = (try ConfigurationValue.parse(text, as: key.type), "environment \(name)")
            } catch {
                problems.append(.init(source: "environment \(name)", key: key.path, message: "must be \(error.allowed)"))
            }
        }

        let byPath = Dictionary(uniqueKeysWithValues: KioskConfiguration.keys.map { ($0.path, $0) })
        for (path, text) in flags.sorted(by: { $0.key < $1.key }) {
            guard let key = byPath[path] else { preconditionFailure("kioskd flag mapped to unknown key \(path)") }
            do {
                values[path] = (try ConfigurationValue.parse(text, as: key.type), "command line")
            } catch {
                problems.append(.init(source: "command line", key: path, message: "must be \(error.allowed)"))
            }
        }

        var draft = ConfigurationDraft()
        for key in KioskConfiguration.keys {
            guard let (value, source) = values[key.path] else { continue }
            do {
                try key.apply(&draft, value)
            } catch {
                problems.append(
                    .init(source: source, key: key.path, message: "must be \(error.allowed) (got \(describe(value)))"))
            }
        }
        func source(_ path: String) -> String { values[path]?.source ?? "defaults" }

        let configuration = draft.configuration
        if configuration.minimumHoldSeconds > configuration.holdSeconds {
            problems.append(
                .init(
                    source: source("display.min_hold_seconds"), key: "display.min_hold_seconds",
                    message: "must be at most display.hold_seconds (\(plainNumber(configuration.holdSeconds)))"))
        }
        let central = checkCentral(draft, source: source, problems: &problems, warnings: &warnings)
        guard problems.isEmpty else { throw ConfigurationError(problems: problems) }
        var result = configuration
        result.central = central
        return Loaded(configuration: result, file: file, warnings: warnings)
    }

    /// The `[central]` section: nothing given → snapshot-only; anything given → url, kiosk_id, public_key and a
    /// token are required, and a token file must be readable (and should be private).
    private static func checkCentral(
        _ draft: ConfigurationDraft, source: (String) -> String, problems: inout [ConfigurationError.Problem],
        warnings: inout [String]
    ) -> CentralSettings? {
        guard !draft.centralKeys.isEmpty else { return nil }
        var settings = draft.central
        if !draft.stateDirectoryGiven {
            settings.stateDirectory = URL(fileURLWithPath: draft.configuration.snapshotPath).deletingLastPathComponent().path
        }
        let given = draft.centralKeys
        let where_ = source("central.\(given.sorted().first!)")
        for required in ["url", "kiosk_id", "public_key"] where !given.contains(required) {
            problems.append(
                .init(source: where_, key: "central.\(required)", message: "is required when [central] is used"))
        }
        if !given.contains("token_file") && !given.contains("token") {
            problems.append(
                .init(
                    source: where_, key: "central.token_file",
                    message: "is required when [central] is used (or central.token)"))
        }
        if given.contains("initial_manifest") != given.contains("initial_payload") {
            problems.append(
                .init(
                    source: where_, key: "central.initial_payload",
                    message: "central.initial_manifest and central.initial_payload go together"))
        }
        if let tokenFile = draft.central.tokenFile {
            let fileSource = source("central.token_file")
            if let text = try? String(contentsOfFile: tokenFile, encoding: .utf8) {
                if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                    problems.append(.init(source: fileSource, key: "central.token_file", message: "\(tokenFile) is empty"))
                }
                if let mode = permissions(of: tokenFile), mode & 0o044 != 0 {
                    warnings.append(
                        "central.token_file \(tokenFile) is readable by \(mode & 0o004 != 0 ? "everyone" : "its group") "
                            + "(mode \(String(mode, radix: 8))): chown kiosk:kiosk and chmod 0600 it")
                }
            } else {
                problems.append(
                    .init(
                        source: fileSource, key: "central.token_file",
                        message: "cannot read \(tokenFile) (missing, or not readable by this user)"))
            }
        }
        return settings
    }

    // MARK: the file

    /// Parses the TOML file into key path → value; unknown sections and keys, and values of no usable TOML type,
    /// are returned as problems (the other keys are still checked, so one run reports every mistake).
    /// - Throws: when the file cannot be read or is not TOML.
    static func readFile(_ path: String) throws(ConfigurationError) -> (
        values: [String: ConfigurationValue], problems: [ConfigurationError.Problem]
    ) {
        // FileHandle rather than Data(contentsOf:), which refuses character devices such as /dev/null.
        guard let handle = FileHandle(forReadingAtPath: path), let data = try? handle.readToEnd() ?? Data() else {
            let reason =
                FileManager.default.fileExists(atPath: path)
                ? "cannot read it (permissions? kioskd runs as user kiosk)" : "no such file"
            throw ConfigurationError(problems: [.init(source: path, key: nil, message: reason)])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(problems: [.init(source: path, key: nil, message: "not UTF-8 text")])
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch {
            guard let error = error as? TOMLParseError else {
                throw ConfigurationError(problems: [.init(source: path, key: nil, message: "\(error)")])
            }
            let at = error.source.begin
            throw ConfigurationError(
                problems: [
                    .init(
                        source: "\(path):\(at.line):\(at.column)", key: nil,
                        message: "not valid TOML: \(error.description)")
                ])
        }
        let sections = Dictionary(grouping: KioskConfiguration.keys, by: \.section)
        var values: [String: ConfigurationValue] = [:]
        var problems: [ConfigurationError.Problem] = []
        for sectionName in table.keys.sorted() {
            guard let sectionTable = table[sectionName]?.table else {
                let nearest = closest(to: sectionName, among: KioskConfiguration.keys.map(\.name))
                let hint = nearest.flatMap { name in KioskConfiguration.keys.first { $0.name == name } }
                    .map { "; keys belong in their [section], e.g. \($0.path)" } ?? ""
                problems.append(.init(source: path, key: sectionName, message: "unknown key outside any section\(hint)"))
                continue
            }
            guard let known = sections[sectionName] else {
                let hint = closest(to: sectionName, among: sections.keys.sorted()).map { "; did you mean [\($0)]?" } ?? ""
                problems.append(
                    .init(
                        source: path, key: "[\(sectionName)]",
                        message: "unknown section\(hint) (sections: \(sectionOrder.joined(separator: ", ")))"))
                continue
            }
            for name in sectionTable.keys.sorted() {
                let keyPath = "\(sectionName).\(name)"
                guard known.contains(where: { $0.name == name }) else {
                    let hint = closest(to: name, among: known.map(\.name)).map { "; did you mean \(sectionName).\($0)?" } ?? ""
                    problems.append(
                        .init(
                            source: path, key: keyPath,
                            message: "unknown key\(hint) (keys in [\(sectionName)]: "
                                + "\(known.map(\.name).joined(separator: ", ")))"))
                    continue
                }
                switch convert(sectionTable[name]!) {
                case .success(let value): values[keyPath] = value
                case .failure(let problem):
                    problems.append(.init(source: path, key: keyPath, message: "must be \(problem.allowed)"))
                }
            }
        }
        return (values, problems)
    }

    /// The sections in reference order.
    static var sectionOrder: [String] {
        var seen: [String] = []
        for key in KioskConfiguration.keys where !seen.contains(key.section) { seen.append(key.section) }
        return seen
    }

    private static func convert(_ node: any TOMLValueConvertible) -> Result<ConfigurationValue, ConfigurationValue.Problem> {
        switch node.type {
        case .string: return .success(.string(node.string!))
        case .int: return .success(.integer(node.int!))
        case .double: return .success(.number(node.double!))
        case .bool: return .success(.boolean(node.bool!))
        case .array:
            var items: [String] = []
            for item in node.array! {
                guard let text = item.string else {
                    return .failure(.init(allowed: "a list of strings, e.g. [\"a\", \"b\"]"))
                }
                items.append(text)
            }
            return .success(.strings(items))
        case .table: return .failure(.init(allowed: "a value, not a table"))
        case .date, .time, .dateTime: return .failure(.init(allowed: "a string or number, not a date or time"))
        }
    }

    private static func describe(_ value: ConfigurationValue) -> String {
        switch value {
        case .string(let text): "\"\(text)\""
        case .integer(let number): String(number)
        case .number(let number): plainNumber(number)
        case .boolean(let flag): String(flag)
        case .strings(let items): "[\(items.map { "\"\($0)\"" }.joined(separator: ", "))]"
        }
    }

    /// Permission bits of a file, or `nil` when it cannot be stat'ed.
    static func permissions(of path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int(info.st_mode) & 0o777
    }

    /// The candidate nearest to `word` by edit distance, if it is near enough to be a typo.
    static func closest(to word: String, among candidates: [String]) -> String? {
        let scored = candidates.map { ($0, editDistance(word.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, word.count / 3) else { return nil }
        return best.0
    }

    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

/// The configuration cannot be used. ``problems`` lists each one; the description has one line per problem:
/// `SOURCE: KEY: what is wrong and what is allowed`, where SOURCE is the file (with line and column for a TOML
/// syntax error), `environment KIOSKD_…` or `command line`.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        /// Where the value came from: a file path, `environment KIOSKD_X`, `command line` or `defaults`.
        public var source: String
        /// The key (`display.hold_seconds`), an environment variable, a `[section]`, or `nil` for the whole file.
        public var key: String?
        public var message: String

        public var description: String { "\(source): \(key.map { "\($0): " } ?? "")\(message)" }
    }

    public var problems: [Problem]

    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
