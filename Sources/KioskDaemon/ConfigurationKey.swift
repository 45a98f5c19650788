import Foundation

/// One key of `kioskd.toml`: where it lives (`[section] name`), the TOML type it takes, its default and unit for the
/// documentation, and how a value fills a ``KioskConfiguration``.
///
/// The table of every key is ``KioskConfiguration/keys``; the reference (`docs/configuration.md`), the shipped
/// default file and the environment names are all generated from it, so a new setting is one entry there.
public struct ConfigurationKey: Sendable {
    /// The value types a key takes. In the environment and on the command line every value is text, parsed as the
    /// same type (lists are comma-separated; booleans are `true`/`false`, `yes`/`no` or `1`/`0`).
    public enum ValueType: String, Sendable {
        case string
        case integer
        case number
        case boolean
        case strings = "list of strings"
    }

    /// The `[section]` of the TOML file, e.g. `display`.
    public let section: String
    /// The key inside the section, e.g. `hold_seconds`.
    public let name: String
    public let type: ValueType
    /// The default as written in the reference (``KioskConfiguration``'s own default, or "none").
    public let defaultText: String
    /// Unit of a number: `s`, `ms`, `h`, `days`, `baud`; `nil` for none.
    public let unit: String?
    /// One sentence for the reference: what it is and what is allowed.
    public let summary: String
    let apply: @Sendable (inout ConfigurationDraft, ConfigurationValue) throws(ConfigurationValue.Problem) -> Void

    /// `section.name`, as errors name the key.
    public var path: String { "\(section).\(name)" }
    /// The environment variable that overrides this key: `KIOSKD_SECTION_NAME`, e.g. `KIOSKD_DISPLAY_HOLD_SECONDS`.
    public var environmentName: String { "KIOSKD_\(section)_\(name)".uppercased() }

    init(
        _ section: String, _ name: String, _ type: ValueType, default defaultText: String, unit: String? = nil,
        _ summary: String,
        apply: @escaping @Sendable (inout ConfigurationDraft, ConfigurationValue) throws(ConfigurationValue.Problem) -> Void
    ) {
        self.section = section
        self.name = name
        self.type = type
        self.defaultText = defaultText
        self.unit = unit
        self.summary = summary
        self.apply = apply
    }
}

/// A configuration value from the file, the environment or a flag, already of its key's ``ConfigurationKey/ValueType``.
public enum ConfigurationValue: Sendable, Equatable {
    case string(String)
    case integer(Int)
    case number(Double)
    case boolean(Bool)
    case strings([String])

    /// Why a value does not fit its key: what is allowed, in words for the error message.
    public struct Problem: Error, Sendable, Equatable {
        public var allowed: String
        public init(allowed: String) { self.allowed = allowed }
    }

    /// Parses text (an environment variable or a flag) as `type`.
    static func parse(_ text: String, as type: ConfigurationKey.ValueType) throws(Problem) -> ConfigurationValue {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        switch type {
        case .string:
            return .string(text)
        case .integer:
            guard let value = Int(trimmed) else { throw Problem(allowed: "a whole number") }
            return .integer(value)
        case .number:
            guard let value = Double(trimmed), value.isFinite else { throw Problem(allowed: "a number") }
            return .number(value)
        case .boolean:
            switch trimmed.lowercased() {
            case "true", "yes", "1", "on": return .boolean(true)
            case "false", "no", "0", "off": return .boolean(false)
            default: throw Problem(allowed: "true or false")
            }
        case .strings:
            let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            return .strings(items.filter { !$0.isEmpty })
        }
    }

    var typeName: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .number: "a number"
        case .boolean: "a boolean"
        case .strings: "a list of strings"
        }
    }

    // Accessors used by the key table; each throws what the key allows.

    func string() throws(Problem) -> String {
        guard case .string(let value) = self else { throw Problem(allowed: "a string") }
        return value
    }

    /// A non-empty string (paths, ids, URLs).
    func nonEmptyString(_ what: String) throws(Problem) -> String {
        let value = try string()
        guard !value.trimmingCharacters(in: .whitespaces).isEmpty else { throw Problem(allowed: "a non-empty \(what)") }
        return value
    }

    /// A string, or `nil` for the empty string ("none").
    func optionalString() throws(Problem) -> String? {
        let value = try string()
        return value.isEmpty ? nil : value
    }

    func integer(in range: ClosedRange<Int>, _ what: String) throws(Problem) -> Int {
        guard case .integer(let value) = self, range.contains(value) else {
            throw Problem(allowed: "\(what) from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// A number; TOML integers are accepted too (`hold_seconds = 10`).
    func number(in range: ClosedRange<Double>, excludingLower: Bool = false, _ what: String) throws(Problem) -> Double {
        let value: Double
        switch self {
        case .number(let number): value = number
        case .integer(let integer): value = Double(integer)
        default: throw Problem(allowed: Self.rangeText(range, excludingLower, what))
        }
        guard value.isFinite, range.contains(value), !(excludingLower && value == range.lowerBound) else {
            throw Problem(allowed: Self.rangeText(range, excludingLower, what))
        }
        return value
    }

    private static func rangeText(_ range: ClosedRange<Double>, _ excludingLower: Bool, _ what: String) -> String {
        let low = plainNumber(range.lowerBound)
        let high = plainNumber(range.upperBound)
        return "\(what) \(excludingLower ? "greater than" : "from") \(low) \(excludingLower ? "and at most" : "to") \(high)"
    }

    func boolean() throws(Problem) -> Bool {
        guard case .boolean(let value) = self else { throw Problem(allowed: "true or false") }
        return value
    }

    func strings() throws(Problem) -> [String] {
        guard case .strings(let value) = self else { throw Problem(allowed: "a list of strings, e.g. [\"a\", \"b\"]") }
        return value
    }

    /// One of a fixed set of words.
    func oneOf(_ allowed: [String]) throws(Problem) -> String {
        guard case .string(let value) = self, allowed.contains(value) else {
            throw Problem(allowed: "one of: \(allowed.joined(separator: ", "))")
        }
        return value
    }
}

/// `10` for 10.0, `0.5` for 0.5: numbers as a person writes them in the file.
func plainNumber(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
}

/// The configuration being built, key by key: the ``KioskConfiguration`` plus the `[central]` keys, which only make
/// a ``CentralSettings`` when the section is used at all.
struct ConfigurationDraft {
    var configuration = KioskConfiguration()
    var central = CentralSettings(baseURL: "", kioskID: "", publicKeyBase64: "")
    /// `[central]` keys that were given (any of them turns the central service on, and then the required ones must
    /// be there).
    var centralKeys: Set<String> = []
    /// Whether `storage.state_directory` was given; if not, it is the snapshot's directory.
    var stateDirectoryGiven = false
}
