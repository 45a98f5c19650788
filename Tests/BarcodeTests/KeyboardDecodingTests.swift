import Barcode
import CLinuxShims
import Testing

struct InputEventDecoderTests {
    @Test func recordLayoutMatchesTheKernel() {
        #expect(InputEvent.size == 24)
        let e = InputEvent.key(30, 1, seconds: 5, microseconds: 7)
        var decoder = InputEventDecoder()
        #expect(decoder.decode(e.bytes) == [e])
        #expect(Array(e.bytes[16..<18]) == [1, 0])  // type at 16
        #expect(Array(e.bytes[18..<20]) == [30, 0])  // code at 18
        #expect(Array(e.bytes[20..<24]) == [1, 0, 0, 0])  // value at 20
    }

    @Test func dripFeedRecords() throws {
        var r = KeyRecorder(layout: .us)
        r.type("A1:")
        let bytes = r.bytes
        let failures = dripFeed(bytes, expect: r.events) { chunks in
            var d = InputEventDecoder()
            return chunks.flatMap { d.decode($0) }
        }
        #expect(failures.isEmpty)
    }

    @Test func dripFeedTheWholeWedgePath() throws {
        let bytes = try ScanFixtures.load("de-hc1.bin")
        let now = ContinuousClock.now
        let expected: [WedgeScan] = [.text(ScanFixtures.hc1, endedByGap: false, layoutHint: nil)]
        // Byte by byte, all at once, and split at every 7th position (the fixture is ~20 KB).
        var d1 = WedgeScanDecoder(layout: .de)
        #expect(d1.consume(bytes, at: now) == expected)
        var d2 = WedgeScanDecoder(layout: .de)
        #expect(bytes.indices.flatMap { d2.consume(bytes[$0...$0], at: now) } == expected)
        for cut in stride(from: 0, through: bytes.count, by: 7) {
            var d = WedgeScanDecoder(layout: .de)
            #expect(d.consume(bytes[..<cut], at: now) + d.consume(bytes[cut...], at: now) == expected, "cut \(cut)")
        }
    }

    @Test func keyCodesMatchTheKernelHeader() {
        #expect(KeyCode.enter == UInt16(KEY_ENTER))
        #expect(KeyCode.keypadEnter == UInt16(KEY_KPENTER))
        #expect(KeyCode.key102nd == UInt16(KEY_102ND))
        #expect(KeyCode.rightAlt == UInt16(KEY_RIGHTALT))
        #expect(KeyCode.keypadDot == UInt16(KEY_KPDOT))
        #expect(KeyCode.numLock == UInt16(KEY_NUMLOCK))
        #expect(KeyCode.capsLock == UInt16(KEY_CAPSLOCK))
        #expect(KeyCode.letter("q") == UInt16(KEY_Q))
        #expect(KeyCode.letter("m") == UInt16(KEY_M))
        #expect(KeyCode.letter("l") == UInt16(KEY_L))
        #expect(KeyCode.digitRow.first == UInt16(KEY_1))
        #expect(KeyCode.digitRow.last == UInt16(KEY_0))
        #expect(KeyCode.keypad(0) == UInt16(KEY_KP0))
        #expect(KeyCode.keypad(9) == UInt16(KEY_KP9))
        #expect(KeyCode.slash == UInt16(KEY_SLASH))
        #expect(InputEvent.typeLED == UInt16(EV_LED))
        #expect(InputEvent.ledCapsLock == UInt16(LED_CAPSL))
    }
}

struct KeystrokeDecoderTests {
    static func decode(_ r: KeyRecorder, layout: KeyboardLayout? = nil, locks: LockState = LockState()) -> String {
        var d = KeystrokeDecoder(layout: layout ?? r.layout, initialLocks: locks)
        var text = ""
        for e in r.events {
            for k in d.feed(e) {
                switch k {
                case .character(let c): text.append(c)
                case .terminator: text.append("⏎")
                }
            }
        }
        return text
    }

    @Test(arguments: KeyboardLayout.allCases)
    func base45AndIDCharactersRoundTrip(layout: KeyboardLayout) {
        let text = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:abcxyz"
        var r = KeyRecorder(layout: layout)
        r.type(text)
        #expect(Self.decode(r) == text)
    }

    @Test func layoutSpecificPositions() {
        // US-labelled keys typed plainly, decoded per layout.
        var r = KeyRecorder(layout: .us)
        for code in [
            KeyCode.letter("y")!, KeyCode.letter("z")!, KeyCode.letter("q")!, KeyCode.letter("a")!,
            KeyCode.letter("m")!, KeyCode.slash, KeyCode.digitRow[1],
        ] { r.tap(code) }
        #expect(Self.decode(r, layout: .us) == "yzqam/2")
        #expect(Self.decode(r, layout: .uk) == "yzqam/2")
        #expect(Self.decode(r, layout: .de) == "zyqam-2")
        #expect(Self.decode(r, layout: .fr) == "ywaq,!é")
        var shifted = KeyRecorder(layout: .us)
        shifted.holding(KeyCode.leftShift) { s in
            for code in [KeyCode.digitRow[1], KeyCode.digitRow[2], KeyCode.apostrophe, KeyCode.digitRow[6]] {
                s.tap(code)
            }
        }
        #expect(Self.decode(shifted, layout: .us) == "@#\"&")
        #expect(Self.decode(shifted, layout: .uk) == "\"£@&")
        #expect(Self.decode(shifted, layout: .de) == "\"§Ä/")
        #expect(Self.decode(shifted, layout: .fr) == "23%7")
    }

    @Test func altGrAndRightAltOnUS() {
        var r = KeyRecorder(layout: .de)
        r.type("@€{}[]\\|~µ")
        #expect(Self.decode(r) == "@€{}[]\\|~µ")
        // On US, right Alt is Alt: Alt+Q types nothing.
        var us = KeyRecorder(layout: .us)
        us.holding(KeyCode.rightAlt) { $0.tap(KeyCode.letter("q")!) }
        us.tap(KeyCode.letter("q")!)
        #expect(Self.decode(us) == "q")
    }

    @Test func deadKeys() {
        var r = KeyRecorder(layout: .de)
        r.tap(KeyCode.grave)  // dead ^
        r.tap(KeyCode.space)
        r.tap(KeyCode.grave)
        r.tap(KeyCode.letter("e")!)
        r.tap(KeyCode.equal)  // dead ´
        r.tap(KeyCode.letter("a")!)
        r.tap(KeyCode.grave)
        r.tap(KeyCode.digitRow[0])
        r.tap(KeyCode.grave)
        r.enter()
        #expect(Self.decode(r) == "^êá^1^⏎")
        var fr = KeyRecorder(layout: .fr)
        fr.tap(KeyCode.leftBrace)  // dead ^
        fr.tap(KeyCode.letter("o")!)
        fr.holding(KeyCode.leftShift) { $0.tap(KeyCode.leftBrace) }  // dead ¨
        fr.tap(KeyCode.letter("e")!)
        #expect(Self.decode(fr) == "ôë")
    }

    @Test func capsLockTogglesAndLEDEventsSync() {
        var r = KeyRecorder(layout: .us)
        r.type("ab")
        r.tap(KeyCode.capsLock)
        r.type("ab")
        r.holding(KeyCode.leftShift) { $0.tap(KeyCode.letter("a")!) }  // Shift with CapsLock: lower case
        r.tap(KeyCode.digitRow[0])  // digits unaffected
        r.key(0, 0)
        #expect(Self.decode(r) == "abABa1")
        var withLED = KeyRecorder(layout: .us)
        withLED.tap(KeyCode.letter("a")!)
        var events = withLED.events
        events.append(InputEvent(type: InputEvent.typeLED, code: InputEvent.ledCapsLock, value: 1))
        var d = KeystrokeDecoder(layout: .us)
        for e in events { _ = d.feed(e) }
        #expect(d.locks.capsLock)
    }

    @Test func keypadFollowsNumLockAndShift() {
        var r = KeyRecorder(layout: .us)
        r.tap(KeyCode.keypad(1))  // NumLock off: End, nothing typed
        r.tap(KeyCode.keypadSlash)  // operators always type
        r.tap(KeyCode.numLock)
        r.tap(KeyCode.keypad(1))
        r.tap(KeyCode.keypadDot)
        r.holding(KeyCode.leftShift) { $0.tap(KeyCode.keypad(2)) }  // Shift + NumLock: navigation
        r.tap(KeyCode.keypadEnter)
        #expect(Self.decode(r) == "/1.⏎")
        #expect(Self.decode(r, layout: .de) == "/1,⏎")
        // Initial NumLock on, then toggled off: the dot types nothing, and Shift brings the digit back (PC rule).
        #expect(Self.decode(r, locks: LockState(numLock: true)) == "1/2⏎")
    }

    @Test func altCodeRules() {
        var r = KeyRecorder(layout: .us)
        r.altCode("65")  // A
        r.altCode("0065")  // A (ANSI form)
        r.altCode("0150")  // – (1252 0x96)
        r.altCode("0129")  // undefined in 1252: nothing
        r.altCode("7")  // control: nothing
        r.altCode("128512")  // 😀 U+1F600
        r.altCode("13")  // CR: Enter
        r.holding(KeyCode.leftAlt) {
            $0.tap(KeyCode.keypad(6))
            $0.tap(KeyCode.letter("x")!)  // a shortcut aborts the code
            $0.tap(KeyCode.keypad(6))
        }
        r.altCode("1114112")  // beyond Unicode: nothing
        #expect(Self.decode(r) == "AA–😀⏎")
    }

    @Test func autorepeatIgnored() {
        var r = KeyRecorder(layout: .us)
        r.key(KeyCode.digitRow[1], 1)
        r.key(KeyCode.digitRow[1], 2)
        r.key(KeyCode.digitRow[1], 2)
        r.key(KeyCode.digitRow[1], 0)
        r.tap(KeyCode.digitRow[1])  // a real double letter is two presses
        #expect(Self.decode(r) == "22")
    }

    @Test func ctrlTypesNothingAndTabIsConfigurable() {
        var r = KeyRecorder(layout: .us)
        r.holding(KeyCode.leftCtrl) { $0.tap(KeyCode.letter("m")!) }
        r.tap(KeyCode.tab)
        r.tap(KeyCode.enter)
        #expect(Self.decode(r) == "⏎")
        var d = KeystrokeDecoder(layout: .us, terminators: [.tab])
        #expect(r.events.flatMap { d.feed($0) } == [.terminator])
    }
}
