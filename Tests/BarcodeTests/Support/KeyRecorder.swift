import Barcode
import Foundation

/// Builds `struct input_event` streams the way a USB HID wedge scanner produces them: every key event followed by
/// `EV_SYN SYN_REPORT`, 4 ms apart. The generator plays the *scanner*: it knows its keyboard-country setting and
/// types each character with the key and modifiers that layout needs.
struct KeyRecorder {
    private(set) var events: [InputEvent] = []
    private var microseconds = 0
    let layout: KeyboardLayout
    /// CapsLock state the scanner believes the host has (it compensates, like scanners that read the LED report).
    var capsLockOn = false

    init(layout: KeyboardLayout = .us, capsLockOn: Bool = false) {
        self.layout = layout
        self.capsLockOn = capsLockOn
    }

    var bytes: [UInt8] { events.flatMap(\.bytes) }

    mutating func key(_ code: UInt16, _ value: Int32) {
        microseconds += 4000
        let s = 1_700_000_000 + microseconds / 1_000_000
        events.append(.key(code, value, seconds: s, microseconds: microseconds % 1_000_000))
        events.append(.syn(seconds: s, microseconds: microseconds % 1_000_000))
    }

    mutating func tap(_ code: UInt16) {
        key(code, 1)
        key(code, 0)
    }

    /// Holds `modifier` around `body`.
    mutating func holding(_ modifier: UInt16, _ body: (inout KeyRecorder) -> Void) {
        key(modifier, 1)
        body(&self)
        key(modifier, 0)
    }

    /// Types `text` on the layout (each character's own Shift/AltGr press and release).
    mutating func type(_ text: String) {
        for c in text {
            guard let (code, shift, altGr) = Self.keyFor(c, layout: layout, capsLockOn: capsLockOn) else {
                fatalError("'\(c)' cannot be typed on \(layout)")
            }
            if altGr { key(KeyCode.rightAlt, 1) }
            if shift { key(KeyCode.leftShift, 1) }
            tap(code)
            if shift { key(KeyCode.leftShift, 0) }
            if altGr { key(KeyCode.rightAlt, 0) }
        }
    }

    mutating func enter() { tap(KeyCode.enter) }

    /// Alt held, the decimal digits of `code` on the keypad, Alt released.
    mutating func altCode(_ digits: String) {
        holding(KeyCode.leftAlt) { r in
            for d in digits { r.tap(KeyCode.keypad(Int(String(d))!)) }
        }
    }

    /// Which key types `c` on `layout`: base level first, then Shift, then AltGr.
    static func keyFor(_ c: Character, layout: KeyboardLayout, capsLockOn: Bool) -> (UInt16, Bool, Bool)? {
        let table = layout.table.sorted { $0.key < $1.key }
        for (code, levels) in table
        where code != KeyCode.keypadSlash && code != KeyCode.keypadAsterisk
            && code != KeyCode.keypadMinus && code != KeyCode.keypadPlus
        {
            let caps = capsLockOn && levels.isAlphabetic
            if levels.base == .character(c) { return (code, caps, false) }
            if levels.shift == .character(c) { return (code, !caps, false) }
        }
        for (code, levels) in table {
            if levels.altGr == .character(c) { return (code, false, true) }
            if levels.shiftAltGr == .character(c) { return (code, true, true) }
        }
        return nil
    }
}

/// The committed recordings in `Tests/Fixtures/scans/`, and how each is generated.
enum ScanFixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/scans")

    /// A short `HC1:` text using every Base45 punctuation character (not a real certificate).
    static let hc1 = "HC1:6BF+70790T9WJ$WG.FKY*4GO0 O1CV2-O5/ZQ%:AB12"
    /// The fictitious ID number of cards.md §8 (check digit 1 valid).
    static let idNumber = "110101194605121231"
    static let idNumberBadCheck = "110101194605121232"
    static let otherIDNumber = "11010519491231002X"

    /// name → (bytes, what it is).
    static var all: [(name: String, bytes: [UInt8])] {
        var list: [(String, [UInt8])] = []
        for layout in KeyboardLayout.allCases {
            var r = KeyRecorder(layout: layout)
            r.type(hc1)
            r.enter()
            list.append(("\(layout.rawValue)-hc1.bin", r.bytes))
        }
        // CapsLock on at open: the scanner types capitals without Shift; the decoder must start with CapsLock on.
        var caps = KeyRecorder(layout: .us, capsLockOn: true)
        caps.type(hc1)
        caps.enter()
        list.append(("us-hc1-capslock-on.bin", caps.bytes))
        // Alt codes: Windows-1252 with and without leading 0, Unicode 中 and 码, then Enter.
        var alt = KeyRecorder(layout: .us)
        alt.altCode("0072")  // H
        alt.altCode("67")  // C
        alt.altCode("0128")  // € (1252 0x80)
        alt.altCode("233")  // é (1252 0xE9)
        alt.altCode("20013")  // 中 U+4E2D
        alt.altCode("30721")  // 码 U+7801
        alt.enter()
        list.append(("us-altcodes.bin", alt.bytes))
        // No terminator: the scan must end on the inter-key gap.
        var noEnter = KeyRecorder(layout: .us)
        noEnter.type(idNumber)
        list.append(("us-id-no-terminator.bin", noEnter.bytes))
        // A burst: the same code twice (second suppressed), then a different one.
        var burst = KeyRecorder(layout: .us)
        for text in [idNumber, idNumber, otherIDNumber] {
            burst.type(text)
            burst.enter()
        }
        list.append(("us-burst.bin", burst.bytes))
        // ID numbers: valid, bad check digit, terminated with keypad Enter.
        var ids = KeyRecorder(layout: .us)
        ids.type(idNumber)
        ids.tap(KeyCode.keypadEnter)
        ids.type(idNumberBadCheck)
        ids.tap(KeyCode.keypadEnter)
        list.append(("us-id-numbers.bin", ids.bytes))
        // Keypad digits: NumLock off at open, the scanner presses NumLock, types on the keypad, X with Shift.
        var keypad = KeyRecorder(layout: .us)
        keypad.tap(KeyCode.numLock)
        for d in otherIDNumber.dropLast() { keypad.tap(KeyCode.keypad(Int(String(d))!)) }
        keypad.type("X")
        keypad.enter()
        list.append(("us-keypad-numlock.bin", keypad.bytes))
        // Shift held across several letters (left and right), with autorepeat events in between: "RtTwtZDJe_".
        var shift = KeyRecorder(layout: .us)
        shift.holding(KeyCode.leftShift) { $0.tap(KeyCode.letter("r")!) }
        shift.tap(KeyCode.letter("t")!)
        shift.holding(KeyCode.rightShift) { $0.tap(KeyCode.letter("t")!) }
        shift.tap(KeyCode.letter("w")!)
        shift.key(KeyCode.letter("t")!, 1)
        shift.key(KeyCode.letter("t")!, 2)  // autorepeat: ignored
        shift.key(KeyCode.letter("t")!, 0)
        shift.holding(KeyCode.leftShift) { r in
            r.tap(KeyCode.letter("z")!)
            r.key(KeyCode.rightShift, 1)
            r.tap(KeyCode.letter("d")!)
            r.key(KeyCode.leftShift, 0)  // right Shift still held
            r.tap(KeyCode.letter("j")!)
            r.key(KeyCode.rightShift, 0)
            r.key(KeyCode.leftShift, 1)
        }
        shift.tap(KeyCode.letter("e")!)
        shift.holding(KeyCode.rightShift) { $0.tap(KeyCode.minus) }
        shift.enter()
        list.append(("us-shift-held.bin", shift.bytes))
        return list
    }

    static func load(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(name)))
    }
}
