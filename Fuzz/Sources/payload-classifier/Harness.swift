import Barcode
import Foundation
import FuzzSupport
import KioskCore

/// What happens to a scanned code's text: `ScanTextDecoding.decode` (UTF-8, else GB 18030), `PayloadClassifier`
/// (ID numbers, first-generation numbers, `HC1:`, printed-code prefixes and URL hosts, display safety), and on the way
/// a serial scanner's `LineFramer`.
///
/// Input: byte 0 picks the serial terminator (bits 0–1) and byte 1 the piece size (1–64, 0 = all at once) for the
/// line framer; the rest is the scanner's bytes, also classified whole.
///
/// Invariants: nothing traps; the framer's lines are the same whatever the pieces and never hold a terminator byte
/// (CR or LF) that ended them; an identity is a validated ID number of the right kind or a printed code that matches
/// a pattern; spaces and line ends around a code do not change how it is classified; the description of the payload
/// and the scanned text's summary never show more than four characters of what was scanned.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPayloadClassifier(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let terminator = SerialTerminator.allCases[Int(input.byte() & 0x03) % SerialTerminator.allCases.count]
    let piece = Int(input.byte() % 65)
    let bytes = input.rest()
    let classifier = PayloadClassifier(
        printedCodePatterns: PayloadClassifier.examplePatterns + [.prefix("BJJKB:"), .urlHost("jkb.example.cn")],
        maximumLength: 512)

    var whole = LineFramer(terminator: terminator, maximumLength: 512)
    let lines = whole.consume(bytes)
    var pieces = LineFramer(terminator: terminator, maximumLength: 512)
    var pieceLines: [LineFramer.Output] = []
    for chunk in chunks(of: bytes, sizes: [piece == 0 ? bytes.count : piece]) { pieceLines += pieces.consume(chunk) }
    invariant(pieceLines == lines, "lines depend on how the bytes were cut")

    var texts = [String(decoding: bytes, as: UTF8.self)]
    if let decoded = ScanTextDecoding.decode(bytes) { texts.append(decoded) }
    for case .line(let line) in lines {
        invariant(!line.isEmpty && line.count <= 512, "a line of \(line.count) bytes")
        switch terminator {
        case .cr: invariant(!line.contains(0x0D), "a CR-terminated line holds a CR")
        case .lf: invariant(!line.contains(0x0A), "an LF-terminated line holds an LF")
        case .any: invariant(!line.contains(0x0D) && !line.contains(0x0A), "a line holds a line end")
        case .crlf: break
        }
        if let text = ScanTextDecoding.decode(line) { texts.append(text) }
    }
    for text in texts { check(text, classifier) }
    return 0
}

private func check(_ raw: String, _ classifier: PayloadClassifier) {
    let payload = classifier.classify(raw)
    let text = raw.trimmingCharacters(in: .init(charactersIn: " \0\t\r\n"))
    switch payload {
    case .tooLong(let length):
        invariant(length == raw.count && length > classifier.maximumLength, "tooLong(\(length))")
        return
    case .residentID(let identity):
        invariant(
            identity.isValidated && identity.value.count == 18, "an ID number identity that is not 18 valid characters")
        invariant(
            (try? ResidentIDNumber(validating: identity.value))?.value == identity.value,
            "an identity that does not validate")
        invariant(!"\(payload)".contains(identity.value), "the description shows the ID number")
    case .printedCode(let identity):
        invariant(!identity.isValidated && identity.kind == .printedCode, "a printed code identity")
        invariant(identity.value.allSatisfy(PayloadClassifier.isDisplaySafe), "a printed code with unsafe characters")
    case .invalidResidentID(let masked, _):
        invariant(masked.count == 18 && masked.contains("***"), "an invalid ID number not masked")
    case .euDCC(let length):
        invariant(length >= 4, "HC1 of \(length) characters")
    case .unrecognised, .undecodable:
        break
    }
    invariant(raw.count <= classifier.maximumLength, "text of \(raw.count) characters classified")
    // Privacy: a summary shows the length and at most the first four characters.
    let scanned = ScannedText(raw).description
    for shown in [scanned, "\(payload)"] where text.count >= 24 {
        invariant(!shown.contains(text), "a summary shows the scanned text")
    }
    // Padding: a line end before and after (never joined to the text's first or last character) changes nothing.
    if raw.count + 3 <= classifier.maximumLength, !(raw.last == "\r") {
        invariant(classifier.classify("\n" + raw + "\r\n") == payload, "padding changes the classification")
    }
}

/// Seeds: the scans of the classifier and scanner tests (ID numbers valid and not, first-generation numbers, HC1,
/// printed codes and their traps, control characters) as CR-terminated lines, and a GB 18030 line.
@_cdecl("LLVMFuzzerInitialize")
public func initializePayloadClassifier(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    writeSeedsIfAsked {
        let texts = [
            "110101194605121231", " 11010519491231002x\r\n", "810000199408230021", "931586198001010028",
            "110101194605121232", "110101194613121231", "11010119460512123", "110101460512123", "110101461312123",
            "HC1:6BF+70", "hc1:6bf", "BJJKB:Zx81kq0-secret", "https://jkb.example.cn/q?t=abc",
            "https://a.jkb.example.cn:443/q", "https://jkb.example.cn@evil.example/q",
            "https://jkb.example.cn.evil.example/q", "BJJKB:", "BJJKB:ab\u{1B}[2Jcd", "\u{202E}abc", "hello",
            "ESSC:0123456789abcdef", "https://si.12333.gov.cn/e?t=1",
        ]
        // Byte 0: terminator CR (index 0 of SerialTerminator.allCases); byte 1: all at once.
        var seeds: [(String, [UInt8])] = texts.enumerated().map {
            ("scan-\($0.offset)", [0, 0] + Array($0.element.utf8) + [0x0D])
        }
        seeds.append(("all-lines-any-terminator", [3, 5] + texts.flatMap { Array($0.utf8) + [0x0D, 0x0A] }))
        seeds.append(("gb18030", [1, 0] + [0xCD, 0xF5, 0xD0, 0xA1, 0xB2, 0xE2, 0x0A]))
        return CardSeeds.unique(seeds)
    }
    return 0
}

/// `main` (SwiftPM aliases it to `<module>_main`): libFuzzer's driver with this harness.
@_cdecl("fuzz_payload_classifier_main")
public func fuzz_payload_classifier_main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>)
    -> CInt
{
    runLibFuzzer(argc, argv, fuzzPayloadClassifier)
}
