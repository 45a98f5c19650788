import Foundation

/// What a key event means for the text being scanned.
public enum Keystroke: Sendable, Hashable {
    /// A character was typed.
    case character(Character)
    /// A terminator key (Enter, keypad Enter or Tab, as configured) was pressed.
    case terminator
}

/// Which keys end a scan. An enum-like struct so new terminators can be added.
public struct ScanTerminators: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let enter = ScanTerminators(rawValue: 1 << 0)
    public static let keypadEnter = ScanTerminators(rawValue: 1 << 1)
    public static let tab = ScanTerminators(rawValue: 1 << 2)
    /// Enter and keypad Enter, the factory setting of most scanners.
    public static let `default`: ScanTerminators = [.enter, .keypadEnter]

    func contains(keyCode: UInt16) -> Bool {
        switch keyCode {
        case KeyCode.enter: contains(.enter)
        case KeyCode.keypadEnter: contains(.keypadEnter)
        case KeyCode.tab: contains(.tab)
        default: false
        }
    }
}

/// Lock-key state at open (from `EVIOCGLED`), an input to ``KeystrokeDecoder``.
public struct LockState: Sendable, Hashable, CustomStringConvertible {
    public var capsLock: Bool
    public var numLock: Bool

    public init(capsLock: Bool = false, numLock: Bool = false) {
        self.capsLock = capsLock
        self.numLock = numLock
    }

    public var description: String { "CapsLock \(capsLock ? "on" : "off"), NumLock \(numLock ? "on" : "off")" }
}

/// Turns evdev key events into characters the way a Linux console with the scanner's keyboard country would.
///
/// - **Shift** is *held*: left and right tracked separately, never toggled (toggling turns `RtTwtZDJe_` into
///   `RTTWtZDJE_`). **AltGr** is right Alt on layouts that have it.
/// - **CapsLock** and **NumLock** are *toggles* starting from ``LockState`` (read with `EVIOCGLED` at open, so a
///   CapsLock already on does not invert every scan), flipped by their key presses and set by `EV_LED` events.
///   CapsLock affects letter keys only; Shift on a letter with CapsLock on gives lower case (xkb semantics).
/// - **Keypad**: with NumLock on, digits and the decimal key type characters; Shift while NumLock is on gives the
///   navigation function (PC keypad rule), which types nothing. `/ * - +` always type.
/// - **Alt codes**: Alt held, decimal digits on the keypad (NumLock ignored), Alt released → one character.
///   Values below 256 are **Windows-1252** (with or without a leading 0: the `Alt+0nnn` ANSI form; the OEM code page
///   437 that Windows uses for codes without a leading 0 is *not* emulated, the two agree on printable ASCII);
///   values from 256 up are **Unicode scalar values** (`Alt+20013` → 中), which is what scanners in "Unicode alt
///   mode" send. Alt+13 and Alt+9 count as Enter and Tab; other control codes type nothing.
/// - **Dead keys** (German `^ ´ \``, French `^ ¨`) combine with the next letter, or give their spacing form with Space.
/// - Autorepeat (value 2) is ignored; Ctrl or Alt with an ordinary key types nothing.
public struct KeystrokeDecoder: Sendable {
    public let layout: KeyboardLayout
    public let terminators: ScanTerminators
    public private(set) var locks: LockState
    private let table: [UInt16: KeyLevels]
    private var leftShift = false
    private var rightShift = false
    private var leftCtrl = false
    private var rightCtrl = false
    private var leftAlt = false
    /// Right Alt: AltGr where the layout has it, otherwise a second Alt.
    private var rightAlt = false
    private var altCode: [UInt8]? = nil
    private var pendingDead: DeadKey? = nil

    public init(layout: KeyboardLayout, initialLocks: LockState = LockState(), terminators: ScanTerminators = .default)
    {
        self.layout = layout
        self.locks = initialLocks
        self.terminators = terminators
        self.table = layout.table
    }

    private var shift: Bool { leftShift || rightShift }
    private var ctrl: Bool { leftCtrl || rightCtrl }
    private var alt: Bool { leftAlt || (rightAlt && !layout.hasAltGr) }
    private var altGr: Bool { rightAlt && layout.hasAltGr }

    /// Feeds one event; returns what it typed (usually nothing or one keystroke).
    public mutating func feed(_ event: InputEvent) -> [Keystroke] {
        switch event.type {
        case InputEvent.typeLED:
            if event.code == InputEvent.ledCapsLock { locks.capsLock = event.value != 0 }
            if event.code == InputEvent.ledNumLock { locks.numLock = event.value != 0 }
            return []
        case InputEvent.typeKey:
            break
        default:
            return []
        }
        let pressed: Bool
        switch event.value {
        case 1: pressed = true
        case 0: pressed = false
        default: return []  // 2 = autorepeat: a scanner holding a key is not typing it again
        }
        switch event.code {
        case KeyCode.leftShift: leftShift = pressed
        case KeyCode.rightShift: rightShift = pressed
        case KeyCode.leftCtrl: leftCtrl = pressed
        case KeyCode.rightCtrl: rightCtrl = pressed
        case KeyCode.leftAlt, KeyCode.rightAlt:
            let wasAlt = alt
            if event.code == KeyCode.leftAlt { leftAlt = pressed } else { rightAlt = pressed }
            if !wasAlt, alt { altCode = [] }
            if wasAlt, !alt { return finishAltCode() }
        case KeyCode.capsLock:
            if pressed { locks.capsLock.toggle() }
        case KeyCode.numLock:
            if pressed { locks.numLock.toggle() }
        default:
            guard pressed else { return [] }
            return keyPressed(event.code)
        }
        return []
    }

    private mutating func keyPressed(_ code: UInt16) -> [Keystroke] {
        if alt {
            // Alt held: only keypad digits count, as an alt code; anything else is a shortcut, not text.
            if let digit = KeyCode.keypadDigit(code), altCode != nil {
                altCode?.append(digit)
            } else {
                altCode = nil
            }
            return []
        }
        if terminators.contains(keyCode: code) {
            return flushDead() + [.terminator]
        }
        if ctrl { return [] }
        guard let symbol = symbol(for: code) else { return [] }
        switch symbol {
        case .dead(let dead):
            if let previous = pendingDead {
                pendingDead = nil
                return [.character(previous.spacing), .character(dead.spacing)]
            }
            pendingDead = dead
            return []
        case .character(let c):
            if let dead = pendingDead {
                pendingDead = nil
                return dead.compose(with: c).map(Keystroke.character)
            }
            return [.character(c)]
        }
    }

    private mutating func flushDead() -> [Keystroke] {
        defer { pendingDead = nil }
        return pendingDead.map { [.character($0.spacing)] } ?? []
    }

    private func symbol(for code: UInt16) -> KeySymbol? {
        if let digit = KeyCode.keypadDigit(code) {
            return locks.numLock != shift ? .character(Character(String(digit))) : nil
        }
        if code == KeyCode.keypadDot {
            return locks.numLock != shift ? .character(layout == .de ? "," : ".") : nil
        }
        guard let levels = table[code] else { return nil }
        let upper = shift != (locks.capsLock && levels.isAlphabetic)
        if altGr {
            return (upper ? levels.shiftAltGr : levels.altGr) ?? nil
        }
        return upper ? levels.shift : levels.base
    }

    private mutating func finishAltCode() -> [Keystroke] {
        defer { altCode = nil }
        guard let digits = altCode, !digits.isEmpty else { return [] }
        var value = 0
        for d in digits {
            value = value * 10 + Int(d)
            if value > 0x10FFFF { return [] }
        }
        switch value {
        case 13: return terminators.contains(.enter) ? [.terminator] : []
        case 9: return terminators.contains(.tab) ? [.terminator] : []
        case 0..<32, 127: return []
        case 32..<256:
            guard let text = String(bytes: [UInt8(value)], encoding: .windowsCP1252),
                let c = text.first, !c.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
            else { return [] }
            return [.character(c)]
        default:
            guard let scalar = Unicode.Scalar(value) else { return [] }
            return [.character(Character(scalar))]
        }
    }
}
