import Barcode
import Foundation
import FuzzSupport

/// The keyboard-wedge path: bytes of `struct input_event` records → `InputEventDecoder` → `KeystrokeDecoder` (each
/// layout, CapsLock/NumLock, Shift, AltGr, dead keys, Alt codes) → `ScanAssembler` → layout hint
/// (`WedgeScanDecoder`).
///
/// Input: byte 0 picks the layout (bits 0–1), CapsLock (bit 2) and NumLock (bit 3) at open, and the terminators
/// (bits 4–6); byte 1 the piece size the device delivers (1–64, 0 = all at once); the rest is the event stream, as
/// recorded in Tests/Fixtures/scans.
///
/// Invariants: decoding never traps; every record re-encodes to its 24 bytes; the scans are the same whatever the
/// pieces; no scan is longer than the framing's maximum; with time taken from the records (the gap timer and the
/// duplicate window in play) decoding still never traps and keeps to the maximum.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEvdev(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let options = input.byte()
    let piece = Int(input.byte() % 65)
    let stream = input.rest()
    let layouts = KeyboardLayout.allCases
    let layout = layouts[Int(options & 0x03) % layouts.count]
    let locks = LockState(capsLock: options & 0x04 != 0, numLock: options & 0x08 != 0)
    let terminators = ScanTerminators(rawValue: (options >> 4) & 0x07)
    let framing = ScannerFraming(terminators: terminators, maximumLength: 64)

    var records = InputEventDecoder()
    let events = records.decode(stream)
    invariant(events.count == stream.count / InputEvent.size, "\(events.count) records from \(stream.count) bytes")
    invariant(records.pendingByteCount == stream.count % InputEvent.size, "pending bytes")
    for (index, event) in events.enumerated() {
        let offset = index * InputEvent.size
        invariant(
            event.bytes == Array(stream[offset..<(offset + InputEvent.size)]), "record \(index) re-encodes differently")
    }

    let now = ContinuousClock.now
    var whole = WedgeScanDecoder(layout: layout, initialLocks: locks, framing: framing)
    let scans = whole.consume(stream, at: now)
    var pieces = WedgeScanDecoder(layout: layout, initialLocks: locks, framing: framing)
    var pieceScans: [WedgeScan] = []
    for chunk in chunks(of: stream, sizes: [piece == 0 ? stream.count : piece]) {
        pieceScans += pieces.consume(chunk, at: now)
    }
    invariant(pieceScans == scans, "scans depend on how the stream was cut")
    invariant(pieces.locks == whole.locks, "lock state depends on how the stream was cut")
    check(scans, framing)

    // Time from the records, kept monotonic (the driver's clock is): a step of the record's microseconds, at most
    // 300 ms, so gaps and the duplicate window come into play.
    var timed = WedgeScanDecoder(layout: layout, initialLocks: locks, framing: framing)
    var instant = now
    var timedScans: [WedgeScan] = []
    for event in events {
        instant = instant.advanced(by: .microseconds(Int(event.microseconds.magnitude % 300_000)))
        if let deadline = timed.gapDeadline, deadline <= instant {
            timedScans += timed.gapTimerFired(at: deadline)
        }
        timedScans += timed.feed(event, at: instant)
    }
    if let deadline = timed.gapDeadline { timedScans += timed.gapTimerFired(at: deadline) }
    invariant(timed.gapDeadline == nil, "a scan still open after its gap")
    check(timedScans, framing)
    timed.reset()
    return 0
}

private func check(_ scans: [WedgeScan], _ framing: ScannerFraming) {
    for scan in scans {
        switch scan {
        case .text(let text, _, _):
            invariant(!text.isEmpty && text.count <= framing.maximumLength, "a scan of \(text.count) characters")
        case .discarded(.tooLong(let length)):
            invariant(length > framing.maximumLength, "discarded as too long at \(length) characters")
        case .discarded(.duplicate):
            break
        }
    }
}

/// Seeds: the recorded scans of Tests/Fixtures/scans (HC1 codes typed on each layout, ID numbers, Alt codes, keypad
/// with NumLock, Shift held, CapsLock on, bursts), each with the options its test reads it with.
@_cdecl("LLVMFuzzerInitialize")
public func initializeEvdev(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    writeSeedsIfAsked {
        // Option byte: layout index in KeyboardLayout.allCases, bit 2 CapsLock, bit 3 NumLock; terminators Enter and
        // keypad Enter (bits 4–5).
        func options(_ layout: KeyboardLayout, caps: Bool = false, num: Bool = false) -> UInt8 {
            UInt8(KeyboardLayout.allCases.firstIndex(of: layout)!) | (caps ? 0x04 : 0) | (num ? 0x08 : 0) | 0x30
        }
        let fixtures: [(String, UInt8)] = [
            ("us-hc1.bin", options(.us)), ("uk-hc1.bin", options(.uk)), ("de-hc1.bin", options(.de)),
            ("fr-hc1.bin", options(.fr)), ("us-hc1-capslock-on.bin", options(.us, caps: true)),
            ("us-id-numbers.bin", options(.us)), ("us-id-no-terminator.bin", options(.us)),
            ("us-altcodes.bin", options(.us)), ("us-keypad-numlock.bin", options(.us, num: true)),
            ("us-shift-held.bin", options(.us)), ("us-burst.bin", options(.us)),
        ]
        return CardSeeds.unique(
            fixtures.compactMap { name, option in
                guard let bytes = repositoryFile("Tests/Fixtures/scans/\(name)") else {
                    fatalError("Tests/Fixtures/scans/\(name) is missing")
                }
                return (name.replacingOccurrences(of: ".bin", with: ""), [option, 0] + bytes)
            })
    }
    return 0
}

/// `main` (SwiftPM aliases it to `<module>_main`): libFuzzer's driver with this harness.
@_cdecl("fuzz_evdev_main")
public func fuzz_evdev_main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv, fuzzEvdev)
}
