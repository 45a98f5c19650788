import Foundation

/// The "keyboard country" a wedge scanner is set to: how it turns characters into **physical key positions**.
///
/// A scanner set to German types `/` as Shift+7 and `-` as the key where a US board has `/`; decoding its key codes
/// with a US table turns `/` into `&` and `-` into `/` (anchors.md §5). The kiosk needs the table that matches the
/// scanner's setting; ``LayoutHint`` notices when another table would have given a clean code.
///
/// The tables follow the Linux xkb layouts `us`, `gb`, `de` and `fr` (with their default dead keys), levels
/// unshifted / Shift / AltGr / Shift+AltGr. CapsLock follows xkb: it affects only keys whose two levels are the
/// lower- and upper-case forms of one letter (so CapsLock on AZERTY does not turn `é` into `2`).
public enum KeyboardLayout: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// US English (ANSI). Right Alt is a second Alt, not AltGr.
    case us
    /// United Kingdom (ISO): `"`/`@` swapped against US, `#~` left of Enter, `\|` left of Z, `£` on Shift+3.
    case uk
    /// German QWERTZ: Y/Z swapped, `/` on Shift+7, `-` right of `.`, dead `^` `´` `` ` ``.
    case de
    /// French AZERTY: digits need Shift, A/Q and Z/W and M moved, dead `^` and `¨`.
    case fr

    public var description: String { rawValue }

    /// Whether the right Alt key is AltGr (level 3) on this layout.
    public var hasAltGr: Bool { self != .us }

    /// The key table: key code → symbols per level.
    public var table: [UInt16: KeyLevels] {
        switch self {
        case .us: Self.usTable
        case .uk: Self.ukTable
        case .de: Self.deTable
        case .fr: Self.frTable
        }
    }

    /// Keys that give the same character on every layout here: space and the keypad operators.
    /// Keypad digits and the keypad decimal depend on NumLock and are handled by ``KeystrokeDecoder``.
    static let common: [UInt16: KeyLevels] = [
        KeyCode.space: KeyLevels(" ", " ", " ", " "),
        KeyCode.keypadSlash: KeyLevels("/", "/"),
        KeyCode.keypadAsterisk: KeyLevels("*", "*"),
        KeyCode.keypadMinus: KeyLevels("-", "-"),
        KeyCode.keypadPlus: KeyLevels("+", "+"),
    ]

    private static func letters(_ labels: String, _ codes: [UInt16]) -> [UInt16: KeyLevels] {
        var table: [UInt16: KeyLevels] = [:]
        for (label, code) in zip(labels, codes) {
            table[code] = KeyLevels(.character(label), .character(Character(label.uppercased())))
        }
        return table
    }

    private static func row(_ codes: [UInt16], _ levels: [KeyLevels]) -> [UInt16: KeyLevels] {
        Dictionary(uniqueKeysWithValues: zip(codes, levels))
    }

    private static func merged(_ parts: [UInt16: KeyLevels]...) -> [UInt16: KeyLevels] {
        parts.reduce(into: common) { result, part in result.merge(part) { _, new in new } }
    }

    static let usTable: [UInt16: KeyLevels] = merged(
        letters("qwertyuiop", KeyCode.topRow), letters("asdfghjkl", KeyCode.homeRow),
        letters("zxcvbnm", KeyCode.bottomRow),
        row(
            KeyCode.digitRow,
            [
                KeyLevels("1", "!"), KeyLevels("2", "@"), KeyLevels("3", "#"), KeyLevels("4", "$"),
                KeyLevels("5", "%"), KeyLevels("6", "^"), KeyLevels("7", "&"), KeyLevels("8", "*"),
                KeyLevels("9", "("), KeyLevels("0", ")"),
            ]),
        [
            KeyCode.grave: KeyLevels("`", "~"), KeyCode.minus: KeyLevels("-", "_"), KeyCode.equal: KeyLevels("=", "+"),
            KeyCode.leftBrace: KeyLevels("[", "{"), KeyCode.rightBrace: KeyLevels("]", "}"),
            KeyCode.backslash: KeyLevels("\\", "|"), KeyCode.semicolon: KeyLevels(";", ":"),
            KeyCode.apostrophe: KeyLevels("'", "\""), KeyCode.comma: KeyLevels(",", "<"),
            KeyCode.dot: KeyLevels(".", ">"), KeyCode.slash: KeyLevels("/", "?"),
            KeyCode.key102nd: KeyLevels("<", ">"),
        ])

    static let ukTable: [UInt16: KeyLevels] = merged(
        usTable,
        [
            KeyCode.grave: KeyLevels("`", "¬", "¦", nil), KeyCode.digitRow[1]: KeyLevels("2", "\""),
            KeyCode.digitRow[2]: KeyLevels("3", "£"), KeyCode.digitRow[3]: KeyLevels("4", "$", "€", nil),
            KeyCode.apostrophe: KeyLevels("'", "@"), KeyCode.backslash: KeyLevels("#", "~"),
            KeyCode.key102nd: KeyLevels("\\", "|"),
        ])

    static let deTable: [UInt16: KeyLevels] = merged(
        letters("qwertzuiop", KeyCode.topRow), letters("asdfghjkl", KeyCode.homeRow),
        letters("yxcvbnm", KeyCode.bottomRow),
        row(
            KeyCode.digitRow,
            [
                KeyLevels("1", "!", "¹", nil), KeyLevels("2", "\"", "²", nil), KeyLevels("3", "§", "³", nil),
                KeyLevels("4", "$", "¼", nil), KeyLevels("5", "%", "½", nil), KeyLevels("6", "&", "¬", nil),
                KeyLevels("7", "/", "{", nil), KeyLevels("8", "(", "[", nil), KeyLevels("9", ")", "]", nil),
                KeyLevels("0", "=", "}", nil),
            ]),
        [
            KeyCode.topRow[0]: KeyLevels("q", "Q", "@", nil), KeyCode.topRow[2]: KeyLevels("e", "E", "€", nil),
            KeyCode.bottomRow[6]: KeyLevels("m", "M", "µ", nil),
            KeyCode.grave: KeyLevels(.dead(.circumflex), .character("°")),
            KeyCode.minus: KeyLevels("ß", "?", "\\", nil),
            KeyCode.equal: KeyLevels(.dead(.acute), .dead(.grave)),
            KeyCode.leftBrace: KeyLevels("ü", "Ü"), KeyCode.rightBrace: KeyLevels("+", "*", "~", nil),
            KeyCode.semicolon: KeyLevels("ö", "Ö"), KeyCode.apostrophe: KeyLevels("ä", "Ä"),
            KeyCode.backslash: KeyLevels("#", "'"), KeyCode.comma: KeyLevels(",", ";"),
            KeyCode.dot: KeyLevels(".", ":"), KeyCode.slash: KeyLevels("-", "_"),
            KeyCode.key102nd: KeyLevels("<", ">", "|", nil),
        ])

    static let frTable: [UInt16: KeyLevels] = merged(
        letters("azertyuiop", KeyCode.topRow), letters("qsdfghjklm", KeyCode.homeRow + [KeyCode.semicolon]),
        letters("wxcvbn", Array(KeyCode.bottomRow.prefix(6))),
        row(
            KeyCode.digitRow,
            [
                KeyLevels("&", "1"), KeyLevels(.character("é"), .character("2"), .dead(.tilde), nil),
                KeyLevels("\"", "3", "#", nil), KeyLevels("'", "4", "{", nil), KeyLevels("(", "5", "[", nil),
                KeyLevels("-", "6", "|", nil), KeyLevels(.character("è"), .character("7"), .dead(.grave), nil),
                KeyLevels("_", "8", "\\", nil), KeyLevels("ç", "9", "^", nil), KeyLevels("à", "0", "@", nil),
            ]),
        [
            KeyCode.topRow[2]: KeyLevels("e", "E", "€", nil),
            KeyCode.grave: KeyLevels("²", nil), KeyCode.minus: KeyLevels(")", "°", "]", nil),
            KeyCode.equal: KeyLevels("=", "+", "}", nil),
            KeyCode.leftBrace: KeyLevels(.dead(.circumflex), .dead(.diaeresis)),
            KeyCode.rightBrace: KeyLevels("$", "£", "¤", nil), KeyCode.apostrophe: KeyLevels("ù", "%"),
            KeyCode.backslash: KeyLevels("*", "µ"), KeyCode.bottomRow[6]: KeyLevels(",", "?"),
            KeyCode.comma: KeyLevels(";", "."), KeyCode.dot: KeyLevels(":", "/"), KeyCode.slash: KeyLevels("!", "§"),
            KeyCode.key102nd: KeyLevels("<", ">"),
        ])
}

/// What one key gives at each level. `nil` where the layout leaves the level empty.
public struct KeyLevels: Sendable, Hashable {
    public var base: KeySymbol?
    public var shift: KeySymbol?
    public var altGr: KeySymbol?
    public var shiftAltGr: KeySymbol?

    public init(_ base: KeySymbol?, _ shift: KeySymbol?, _ altGr: KeySymbol? = nil, _ shiftAltGr: KeySymbol? = nil) {
        self.base = base
        self.shift = shift
        self.altGr = altGr
        self.shiftAltGr = shiftAltGr
    }

    init(_ base: Character, _ shift: Character?, _ altGr: Character? = nil, _ shiftAltGr: Character? = nil) {
        self.init(
            .character(base), shift.map(KeySymbol.character), altGr.map(KeySymbol.character),
            shiftAltGr.map(KeySymbol.character))
    }

    /// xkb's ALPHABETIC key type: CapsLock swaps the two levels only for letter keys.
    public var isAlphabetic: Bool {
        guard case .character(let lower)? = base, case .character(let upper)? = shift else { return false }
        return lower.isLetter && lower != upper && String(lower).uppercased() == String(upper)
    }
}

/// A symbol on a key: a character, or a dead key that combines with the next one.
public enum KeySymbol: Sendable, Hashable {
    case character(Character)
    case dead(DeadKey)
}

/// Dead keys of the German and French layouts.
public enum DeadKey: Sendable, Hashable {
    case circumflex, diaeresis, acute, grave, tilde

    /// The character the dead key gives on its own (dead key then Space).
    public var spacing: Character {
        switch self {
        case .circumflex: "^"
        case .diaeresis: "¨"
        case .acute: "´"
        case .grave: "`"
        case .tilde: "~"
        }
    }

    var combining: Character {
        switch self {
        case .circumflex: "\u{0302}"
        case .diaeresis: "\u{0308}"
        case .acute: "\u{0301}"
        case .grave: "\u{0300}"
        case .tilde: "\u{0303}"
        }
    }

    /// The result of this dead key followed by `next`: a precomposed letter (`^` `e` → `ê`), the spacing form for
    /// Space, or both characters when they do not compose (`^` `1` → `^1`).
    func compose(with next: Character) -> [Character] {
        if next == " " { return [spacing] }
        if next.isLetter, next.unicodeScalars.count == 1 {
            let composed = String([next, combining]).precomposedStringWithCanonicalMapping
            if composed.unicodeScalars.count == 1, let c = composed.first { return [c] }
        }
        return [spacing, next]
    }
}
