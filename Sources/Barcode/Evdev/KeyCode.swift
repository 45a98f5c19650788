/// Linux evdev key codes (`KEY_*` in `linux/input-event-codes.h`): **physical key positions** of a US-ANSI/ISO
/// keyboard, not characters. `KEY_Q` is the key left of `KEY_W` whatever the scanner's keyboard country prints there.
///
/// Declared here as `UInt16` (the type of `input_event.code`) so the key maps read as tables; `KeyCodeTests`
/// checks every value against the kernel header through `CLinuxShims`.
public enum KeyCode {
    public static let esc: UInt16 = 1
    /// `KEY_1` … `KEY_9` are 2 … 10, `KEY_0` is 11.
    public static let digitRow: [UInt16] = Array(2...11)
    public static let minus: UInt16 = 12
    public static let equal: UInt16 = 13
    public static let backspace: UInt16 = 14
    public static let tab: UInt16 = 15
    /// `KEY_Q` … `KEY_P`.
    public static let topRow: [UInt16] = Array(16...25)
    public static let leftBrace: UInt16 = 26
    public static let rightBrace: UInt16 = 27
    public static let enter: UInt16 = 28
    public static let leftCtrl: UInt16 = 29
    /// `KEY_A` … `KEY_L`.
    public static let homeRow: [UInt16] = Array(30...38)
    public static let semicolon: UInt16 = 39
    public static let apostrophe: UInt16 = 40
    public static let grave: UInt16 = 41
    public static let leftShift: UInt16 = 42
    /// The key above Enter on ANSI boards; the `#~` key left of Enter on ISO boards (same code).
    public static let backslash: UInt16 = 43
    /// `KEY_Z` … `KEY_M`.
    public static let bottomRow: [UInt16] = Array(44...50)
    public static let comma: UInt16 = 51
    public static let dot: UInt16 = 52
    public static let slash: UInt16 = 53
    public static let rightShift: UInt16 = 54
    public static let keypadAsterisk: UInt16 = 55
    public static let leftAlt: UInt16 = 56
    public static let space: UInt16 = 57
    public static let capsLock: UInt16 = 58
    public static let numLock: UInt16 = 69
    public static let keypad7: UInt16 = 71
    public static let keypad8: UInt16 = 72
    public static let keypad9: UInt16 = 73
    public static let keypadMinus: UInt16 = 74
    public static let keypad4: UInt16 = 75
    public static let keypad5: UInt16 = 76
    public static let keypad6: UInt16 = 77
    public static let keypadPlus: UInt16 = 78
    public static let keypad1: UInt16 = 79
    public static let keypad2: UInt16 = 80
    public static let keypad3: UInt16 = 81
    public static let keypad0: UInt16 = 82
    public static let keypadDot: UInt16 = 83
    /// The extra ISO key between left Shift and Z (`<>` on German and French boards, `\|` on UK boards).
    public static let key102nd: UInt16 = 86
    public static let keypadEnter: UInt16 = 96
    public static let rightCtrl: UInt16 = 97
    public static let keypadSlash: UInt16 = 98
    public static let rightAlt: UInt16 = 100
    public static let keypadComma: UInt16 = 121

    /// Named letter keys by their US label, for recordings and tests: `letter("q") == 16`.
    public static func letter(_ usLabel: Character) -> UInt16? {
        let rows: [(String, [UInt16])] = [("qwertyuiop", topRow), ("asdfghjkl", homeRow), ("zxcvbnm", bottomRow)]
        for (labels, codes) in rows {
            if let i = labels.firstIndex(of: Character(usLabel.lowercased())) {
                return codes[labels.distance(from: labels.startIndex, to: i)]
            }
        }
        return nil
    }

    /// The keypad digit a key code stands for (`KEY_KP0` … `KEY_KP9`), ignoring NumLock.
    public static func keypadDigit(_ code: UInt16) -> UInt8? {
        switch code {
        case keypad0: 0
        case keypad1: 1
        case keypad2: 2
        case keypad3: 3
        case keypad4: 4
        case keypad5: 5
        case keypad6: 6
        case keypad7: 7
        case keypad8: 8
        case keypad9: 9
        default: nil
        }
    }

    /// The key code of keypad digit `d` (0–9).
    public static func keypad(_ d: Int) -> UInt16 {
        [keypad0, keypad1, keypad2, keypad3, keypad4, keypad5, keypad6, keypad7, keypad8, keypad9][d]
    }
}
