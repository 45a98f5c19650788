import Barcode
import FuzzSupport

/// The HID POS decoder (`HIDPOSDecoder`): hidraw bytes framed into reports, codes reassembled across "more data"
/// reports, the AIM identifier split off, over-long codes and malformed reports dropped.
///
/// Input: byte 0 bit 0 picks the default (Honeywell) report layout or one made of the next 7 bytes (report size,
/// length offset, data offset, data capacity, more-data offset (0xFF: none), more-data mask, AIM length) whenever
/// it is valid (`HIDPOSReportLayout.isValid`, `HIDPOSDecoder.init`'s precondition); the next byte the piece size
/// hidraw delivers (1–64, 0 = all at once), the next the maximum code length (16–526); the rest is the hidraw stream.
///
/// Invariants: decoding never traps; the outputs are the same whatever the pieces; a code is never longer than the
/// maximum, and carries an AIM identifier only when the layout has one; with the default layout, a code re-encoded by
/// `HIDPOSDecoder.reports(for:)` decodes to itself; a pending code ends as `incomplete` when its deadline passes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHIDPOS(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let custom = input.byte() & 1 != 0
    var layout = HIDPOSReportLayout()
    if custom {
        layout.reportSize = Int(input.byte())
        layout.lengthOffset = Int(input.byte())
        layout.dataOffset = Int(input.byte())
        layout.dataCapacity = Int(input.byte())
        let more = input.byte()
        layout.moreDataOffset = more == 0xFF ? nil : Int(more)
        layout.moreDataMask = input.byte()
        layout.aimIdentifierLength = Int(input.byte() % 8)
    }
    let piece = Int(input.byte() % 65)
    let maximumLength = 16 + Int(input.byte()) * 2
    let stream = input.rest()
    // HIDPOSDecoder.init's precondition: a layout with an offset outside the report is a programming error.
    guard layout.isValid else { return 0 }

    let now = ContinuousClock.now
    var whole = HIDPOSDecoder(layout: layout, maximumLength: maximumLength)
    let outputs = whole.consume(stream, at: now)
    var pieces = HIDPOSDecoder(layout: layout, maximumLength: maximumLength)
    var pieceOutputs: [HIDPOSDecoder.Output] = []
    for chunk in chunks(of: stream, sizes: [piece == 0 ? stream.count : piece]) {
        pieceOutputs += pieces.consume(chunk, at: now)
    }
    invariant(pieceOutputs == outputs, "outputs depend on how the stream was cut")
    invariant(pieces.deadline == whole.deadline, "the pending code depends on how the stream was cut")

    for output in outputs {
        guard case .code(let code) = output else {
            if case .tooLong(let length) = output { invariant(length > maximumLength, "tooLong at \(length)") }
            continue
        }
        let aimCount = code.aimIdentifier.map { _ in layout.aimIdentifierLength } ?? 0
        invariant(code.payload.count + aimCount <= maximumLength, "a code of \(code.payload.count) bytes")
        if let aim = code.aimIdentifier {
            // Byte-wise: "]" and a combining mark after it are one Character, so `hasPrefix("]")` would say no.
            invariant(
                layout.aimIdentifierLength > 0 && aim.utf8.first == UInt8(ascii: "]"),
                "an AIM identifier \(aim.debugDescription)")
        }
        // Re-encoding: the scanner's reports for this code decode to it (default layout; an AIM identifier that is
        // valid UTF-8; without one, a payload that does not itself look like one).
        if !custom,
            code.aimIdentifier.map({ Array($0.utf8).count == layout.aimIdentifierLength })
                ?? (code.payload.first != UInt8(ascii: "]"))
        {
            var again = HIDPOSDecoder(layout: layout, maximumLength: maximumLength)
            let reencoded = HIDPOSDecoder.reports(for: code.payload, aimIdentifier: code.aimIdentifier, layout: layout)
            let decoded = again.consume(reencoded.flatMap { $0 }, at: now)
            invariant(decoded == [.code(code)], "a code does not survive re-encoding")
        }
    }
    if let deadline = whole.deadline {
        invariant(whole.deadlinePassed(at: deadline) == [.incomplete], "a pending code did not end as incomplete")
        invariant(whole.deadline == nil, "a deadline after the code was dropped")
    }
    whole.reset()
    return 0
}

/// Seeds: the reports a Honeywell-style scanner sends for an ID number, an HC1 code split over several reports, a GB
/// 18030 text, and a status report between codes, as HIDPOSDecoder.reports(for:) builds them for the tests.
@_cdecl("LLVMFuzzerInitialize")
public func initializeHIDPOS(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    writeSeedsIfAsked {
        // HIDPOSTests.hc1Long: an HC1 text longer than two reports.
        let hc1 = "HC1:" + String(repeating: "6BF+70790T9WJ$WG.FKY*4GO0 O1CV2-O5/ZQ%:", count: 4)
        func reports(_ text: [UInt8], aim: String? = "]Q1") -> [UInt8] {
            HIDPOSDecoder.reports(for: text, aimIdentifier: aim).flatMap { $0 }
        }
        var status = [UInt8](repeating: 0, count: 64)
        status[0] = 0x04
        var layout = HIDPOSReportLayout()
        (layout.reportSize, layout.lengthOffset, layout.dataOffset, layout.dataCapacity) = (32, 1, 2, 24)
        (layout.moreDataOffset, layout.aimIdentifierLength) = (31, 0)
        let customLayoutReports = HIDPOSDecoder.reports(
            for: Array("BJJKB:a-token-longer-than-one-report".utf8), aimIdentifier: nil, layout: layout
        ).flatMap { $0 }
        // Prefix: byte 0 = 0 (default layout), byte 1 = piece size, byte 2 = maximum length 16 + 2 × 255.
        return CardSeeds.unique([
            ("id-number", [0, 0, 255] + reports(Array("110101194605121231".utf8))),
            ("hc1-split", [0, 13, 255] + reports(Array(hc1.utf8))),
            ("gb18030", [0, 0, 255] + reports([0xCD, 0xF5, 0xD0, 0xA1, 0xB2, 0xE2], aim: "]E0")),
            ("status-between", [0, 0, 255] + reports(Array("ESSC:abc".utf8)) + status + reports([0x41], aim: nil)),
            ("custom-layout", [1, 32, 1, 2, 24, 31, 0x01, 0, 0, 40] + customLayoutReports),
        ])
    }
    return 0
}

/// `main` (SwiftPM aliases it to `<module>_main`): libFuzzer's driver with this harness.
@_cdecl("fuzz_hidpos_main")
public func fuzz_hidpos_main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv, fuzzHIDPOS)
}
