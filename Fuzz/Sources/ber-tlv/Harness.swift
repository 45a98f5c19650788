import FuzzSupport
import SmartCard
import VirtualCard

/// BER-TLV (`BERTLV.parse`, `parseSingle`), data object lists and application file locators over arbitrary bytes.
///
/// Invariants: parsing never traps; what parses re-encodes (shortest length forms, no padding) to bytes that parse to
/// the same objects, no longer than the input; a constructed object's children are its value parsed; `parseSingle`
/// agrees with `parse`; a DOL and an AFL re-encode to their input (the AFL with its reserved bits cleared).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBERTLV(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = FuzzInput(data, size).bytes

    let parsed = try? BERTLV.parse(bytes)
    if let objects = parsed {
        let encoded = objects.flatMap(\.encoded)
        invariant(encoded.count <= bytes.count, "re-encoding grew from \(bytes.count) to \(encoded.count) bytes")
        let again = try? BERTLV.parse(encoded)
        invariant(
            again == objects,
            "re-encoded objects parse differently: \(objects) vs \(again.map(\.description) ?? "error")")
        checkTree(objects, depth: 0)
        _ = objects.description
        _ = objects.all(tag: 0x5A)
        _ = objects.object(at: [0x6F, 0xA5, 0xBF0C, 0x61])
    }
    let single = try? BERTLV.parseSingle(bytes)
    invariant((single != nil) == (parsed?.count == 1), "parseSingle disagrees with parse")
    if let single { invariant(single == parsed?.first, "parseSingle returned another object") }

    if let dol = try? DataObjectList(parsing: bytes) {
        let reencoded = dol.entries.flatMap { $0.tag.bytes + [UInt8($0.length)] }
        invariant(reencoded == bytes, "DOL \(dol) does not re-encode to its input")
        invariant(dol.totalLength == dol.entries.reduce(0) { $0 + $1.length }, "DOL total length")
        let built = dol.build { tag, length in
            tag.rawValue & 1 == 0 ? ([UInt8](repeating: 1, count: 3), length & 1 == 0) : nil
        }
        invariant(built.count == dol.totalLength, "DOL data of \(built.count) bytes for \(dol.totalLength)")
    }
    if let afl = try? ApplicationFileLocator(parsing: bytes) {
        let expected = bytes.enumerated().map { $0.offset % 4 == 0 ? $0.element & 0xF8 : $0.element }
        invariant(afl.bytes == expected, "AFL \(afl) does not re-encode to its input")
        for entry in afl.entries {
            invariant((1...30).contains(entry.sfi) && !entry.records.isEmpty, "AFL entry \(entry) out of range")
        }
    }
    for length in 1...min(4, bytes.count + 1) where length <= bytes.count {
        if let tag = BERTag(bytes: Array(bytes.prefix(length))) {
            invariant(tag.bytes == Array(bytes.prefix(length)), "tag \(tag) does not re-encode")
        }
    }
    return 0
}

/// A constructed object's children are its value parsed, to ``BERTLV/maximumDepth``; a primitive one has none.
private func checkTree(_ objects: [BERTLV], depth: Int) {
    invariant(depth <= BERTLV.maximumDepth + 1, "nesting \(depth) past the maximum")
    for object in objects {
        if object.isConstructed {
            invariant(
                (try? BERTLV.parse(object.value)) == object.children, "children of \(object.tag) differ from its value")
            checkTree(object.children, depth: depth + 1)
        } else {
            invariant(object.children.isEmpty, "primitive \(object.tag) with children")
        }
    }
}

/// Seeds: every response of the PBOC card image (cards.md §8.1 layout) in its variants, and of the social security
/// card image (§8.2), plus a PDOL and an AFL.
@_cdecl("LLVMFuzzerInitialize")
public func initializeBERTLV(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    writeSeedsIfAsked {
        var seeds: [(String, [UInt8])] = []
        for (name, responses) in CardSeeds.pbocTranscripts() + CardSeeds.ssseTranscripts() {
            for (index, response) in responses.enumerated() where response.count > 2 {
                seeds.append(("\(name)-\(index)", Array(response.dropLast(2))))
            }
        }
        seeds.append(("pdol", [0x9F, 0x66, 0x04, 0x9F, 0x02, 0x06, 0x9F, 0x37, 0x04, 0x5F, 0x2A, 0x02, 0x9A, 0x03]))
        seeds.append(("afl", [0x08, 0x01, 0x01, 0x00, 0x10, 0x01, 0x04, 0x01, 0x18, 0x01, 0x02, 0x00]))
        return CardSeeds.unique(seeds)
    }
    return 0
}

/// `main` (SwiftPM aliases it to `<module>_main`): libFuzzer's driver with this harness.
@_cdecl("fuzz_ber_tlv_main")
public func fuzz_ber_tlv_main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv, fuzzBERTLV)
}
