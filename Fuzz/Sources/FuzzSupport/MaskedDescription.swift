import KioskCore

/// The privacy check the card harnesses share (`pboc`, `ssse`, `id-text`): a card value's description (what a log
/// line gets, `"\(card)"` and `String(reflecting: card)`) shows each personal field only as `Masking` renders it.
///
/// The question asked is "does the description reveal the raw value beyond what its mask shows?". The description
/// is compared with the description of the same value whose field is emptied (`""`, which every mask renders as
/// nothing), so the field's label and the separators around it stay and only the mask's text goes:
///
/// - in the description, every position covered by an occurrence of the field's mask (`Masking.name(value)`…) is
///   set aside: what the mask shows is shown by design (an 8-character number with `*` fourth masks to itself, and a
///   name can be spelled by its mask and the comma after it: `*,` masked as `**`, `ࠪ *,` masked as `ࠪ *`);
/// - the raw value, as a whole, is counted where it touches none of those positions;
/// - it leaks when that count is higher than its count in the emptied description (where it can only come from
///   fixed text or other fields: a name `valid` in "valid to", `name` in the label, `,` in the separators).
///
/// For a description made of fixed text, other fields and the field's mask, every counted occurrence lies outside
/// the mask and so appears in the emptied description too: the check has no false positive, whatever the value
/// holds (no letter or digit, the mask character, combining marks). It catches the raw value shown in clear
/// anywhere the field puts it, including next to its mask. Matching is on Unicode scalars, so a value is found even
/// where a combining mark joins it to its neighbour into one `Character`. ``checkMaskedDescriptionRule()`` proves
/// both directions on planted descriptions.
public struct PersonalField<Card> {
    /// The masking rule that applies to a field: `Masking.idNumber`, `.pan` or `.name`.
    enum Rule {
        case idNumber, pan, name

        func mask(_ value: String) -> String {
            switch self {
            case .idNumber: Masking.idNumber(value)
            case .pan: Masking.pan(value)
            case .name: Masking.name(value)
            }
        }
    }

    /// What the trap message calls the field ("name", "PAN").
    public let label: String
    let rule: Rule
    let value: (Card) -> String?
    let empty: (inout Card) -> Void

    init(_ label: String, _ rule: Rule, _ path: WritableKeyPath<Card, String>) {
        self.label = label
        self.rule = rule
        value = { $0[keyPath: path] }
        empty = { $0[keyPath: path] = "" }
    }

    init(_ label: String, _ rule: Rule, _ path: WritableKeyPath<Card, String?>) {
        self.label = label
        self.rule = rule
        value = { $0[keyPath: path] }
        empty = { $0[keyPath: path] = "" }
    }

    /// An ID or card number, masked first 3 + last 4.
    public static func idNumber(_ label: String, _ path: WritableKeyPath<Card, String>) -> Self {
        Self(label, .idNumber, path)
    }

    /// An ID or card number, masked first 3 + last 4; `nil` is not checked.
    public static func idNumber(_ label: String, _ path: WritableKeyPath<Card, String?>) -> Self {
        Self(label, .idNumber, path)
    }

    /// A PAN, masked first 6 + last 4.
    public static func pan(_ label: String, _ path: WritableKeyPath<Card, String>) -> Self { Self(label, .pan, path) }

    /// A name (or other free text shown as a name), masked in the middle; `nil` is not checked.
    public static func name(_ label: String, _ path: WritableKeyPath<Card, String?>) -> Self {
        Self(label, .name, path)
    }
}

/// What a log line may hold of `card`: its description and its debug description.
func summary<Card>(of card: Card) -> String { "\(card)" + String(reflecting: card) }

/// The labels of the `fields` of `card` whose raw value its description reveals beyond the mask (see
/// ``PersonalField``); empty when it shows each one masked.
public func revealedFields<Card>(of card: Card, _ fields: [PersonalField<Card>]) -> [String] {
    let full = summary(of: card)
    return fields.compactMap { field in
        guard let value = field.value(card), !value.isEmpty else { return nil }
        var emptied = card
        field.empty(&emptied)
        let leaks = reveals(value, maskedAs: field.rule.mask(value), in: full, emptied: summary(of: emptied))
        return leaks ? field.label : nil
    }
}

/// Traps (libFuzzer saves the input as a crash) when the description of `card` reveals one of `fields`.
public func requireMaskedDescription<Card>(
    of card: Card, _ fields: [PersonalField<Card>], file: StaticString = #fileID, line: UInt = #line
) {
    let revealed = revealedFields(of: card, fields)
    invariant(revealed.isEmpty, "description shows the \(revealed.joined(separator: ", "))", file: file, line: line)
}

/// Whether `text` shows `value` more often, outside the occurrences of `mask`, than `emptied` (the same text with the
/// field emptied) shows it at all. See ``PersonalField`` for why this is the question.
public func reveals(_ value: String, maskedAs mask: String, in text: String, emptied: String) -> Bool {
    let value = Array(value.unicodeScalars)
    let text = Array(text.unicodeScalars)
    guard !value.isEmpty else { return false }
    var shownByMask = [Bool](repeating: false, count: text.count)
    for start in occurrences(of: Array(mask.unicodeScalars), in: text) {
        for index in start..<start + mask.unicodeScalars.count { shownByMask[index] = true }
    }
    let outsideMask = occurrences(of: value, in: text).filter { start in
        !shownByMask[start..<start + value.count].contains(true)
    }
    return outsideMask.count > occurrences(of: value, in: Array(emptied.unicodeScalars)).count
}

/// Every start index of `pattern` in `text`, overlapping ones included; none for an empty pattern.
private func occurrences(of pattern: [Unicode.Scalar], in text: [Unicode.Scalar]) -> [Int] {
    guard !pattern.isEmpty, pattern.count <= text.count else { return [] }
    return (0...text.count - pattern.count).filter { text[$0..<$0 + pattern.count].elementsEqual(pattern) }
}

/// Proves the rule in both directions on planted descriptions, trapping if it is wrong: a description that shows the
/// raw name or number (in place of the mask, or beside it, or where fixed text holds it too) is flagged; a correct
/// one is not, for the names that tripped the earlier rule (`*,` and `ࠪ *,`, now id-text seeds) and for names spelled
/// by the fixed text (`name`, `,`, `valid`). Called from each card harness's `LLVMFuzzerInitialize`, so every run,
/// `make fuzz-ci` included, checks the check first.
public func checkMaskedDescriptionRule() {
    struct Planted: CustomStringConvertible {
        enum Leak { case none, nameInsteadOfMask, nameBesideMask, numberAtEnd }
        var number: String
        var name: String?
        var leak: Leak

        var description: String {
            var parts = ["Planted", "number \(Masking.idNumber(number))"]
            if let name {
                switch leak {
                case .nameInsteadOfMask: parts.append("name \(name)")
                case .nameBesideMask: parts.append("name \(Masking.name(name)) (\(name))")
                case .none, .numberAtEnd: parts.append("name \(Masking.name(name))")
                }
            }
            parts.append("valid to 2036-01-01")
            if leak == .numberAtEnd { parts.append(number) }
            return parts.joined(separator: ", ")
        }
    }
    let fields: [PersonalField<Planted>] = [.idNumber("number", \.number), .name("name", \.name)]
    let number = "110101194605121232"
    let leaking: [(Planted, [String])] = [
        (Planted(number: number, name: "王小测", leak: .nameInsteadOfMask), ["name"]),
        (Planted(number: number, name: "Wang Xiao Ce", leak: .nameInsteadOfMask), ["name"]),
        (Planted(number: number, name: "王小测", leak: .nameBesideMask), ["name"]),
        (Planted(number: number, name: "valid", leak: .nameInsteadOfMask), ["name"]),
        (Planted(number: number, name: "*,", leak: .nameBesideMask), ["name"]),
        (Planted(number: number, name: "王小测", leak: .numberAtEnd), ["number"]),
        (Planted(number: "1234", name: nil, leak: .numberAtEnd), ["number"]),
    ]
    let masked = ["王小测", "Wang Xiao Ce", "*,", "\u{82A} *,", "name", ",", "valid", "to", "*", "a*b", "110", "1232"]
        .map { Planted(number: number, name: $0, leak: .none) }
        + [Planted(number: "123*5678", name: nil, leak: .none), Planted(number: "1", name: "1", leak: .none)]
    for (card, expected) in leaking {
        let found = revealedFields(of: card, fields)
        invariant(found == expected, "leak check self-test: \(expected) leaks in a planted description, found \(found)")
    }
    for card in masked {
        let found = revealedFields(of: card, fields)
        invariant(found.isEmpty, "leak check self-test: a masked description flagged for \(found)")
    }
}
