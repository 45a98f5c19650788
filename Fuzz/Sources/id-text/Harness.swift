import FuzzSupport
import KioskCore
import SmartCard
import VirtualCard

/// The 256-byte UCS-2LE text block of a SAM read (`IDCardData(textBlock:)`) in its four layouts, with the number
/// checks of cards.md §5.
///
/// Input: the block; shorter input is padded with UCS-2 spaces and longer input cut to 256 bytes, and the input as it
/// is must be rejected as `wrongSize` unless it has 256 bytes.
///
/// Invariants: decoding never traps; text fields are trimmed and `nil` rather than blank; the number is upper case;
/// the identity is the number, validated exactly when there is no number problem, and absent for a blank number;
/// the description shows neither the number nor the names nor the address in clear.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDText(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = FuzzInput(data, size).bytes
    do {
        _ = try IDCardData(textBlock: bytes)
        invariant(bytes.count == IDCardData.textBlockSize, "a block of \(bytes.count) bytes decoded")
    } catch {
        if case .wrongSize(let count) = error {
            invariant(count == bytes.count && count != IDCardData.textBlockSize, "wrongSize(\(count))")
        }
    }

    var block = Array(bytes.prefix(IDCardData.textBlockSize))
    while block.count < IDCardData.textBlockSize { block += block.count % 2 == 0 ? [0x20] : [0x00] }
    let card: IDCardData
    do {
        card = try IDCardData(textBlock: block)
    } catch {
        invariant(error != .wrongSize(block.count), "a block of 256 bytes rejected for its size")
        return 0
    }

    let padding: Set<Character> = [" ", "\u{3000}", "\0"]
    let texts: [(String, String?)] = [
        ("name", card.name), ("englishName", card.englishName), ("address", card.address),
        ("issuingAuthority", card.issuingAuthority), ("nationality", card.nationality),
        ("travelPermitNumber", card.travelPermitNumber), ("issueCount", card.issueCount),
        ("cardVersion", card.cardVersion), ("acceptingAuthorityCode", card.acceptingAuthorityCode),
        ("renewalCount", card.renewalCount), ("previousNumberLink", card.previousNumberLink),
    ]
    for (field, text) in texts {
        guard let text else { continue }
        invariant(!text.isEmpty, "\(field) is blank instead of nil")
        invariant(!padding.contains(text.first!) && !padding.contains(text.last!), "\(field) is not trimmed")
    }
    invariant(card.number == card.number.uppercased(), "the number is not upper case")

    let identities = card.identities()
    if card.number.isEmpty {
        invariant(identities.isEmpty, "an identity for a blank number")
    } else {
        invariant(identities.count == 1, "\(identities.count) identities")
        invariant(identities[0].value == card.number, "the identity is not the number")
        invariant(identities[0].isValidated == (card.numberProblem == nil), "validation disagrees with the problem")
        invariant(identities[0].kind == card.layout.identityKind, "the identity kind is not the layout's")
    }
    _ = card.validTo.isLongTerm

    // Privacy: the summary for logs shows the number, the names and the address masked only.
    requireMaskedDescription(
        of: card,
        [
            .idNumber("number", \.number), .name("name", \.name), .name("englishName", \.englishName),
            .name("address", \.address),
        ])
    return 0
}

/// Seeds: the text blocks of cards.md §8.3 (王小测) and of each layout as the SAM card image builds them, and the
/// inputs that once tripped the leak check.
@_cdecl("LLVMFuzzerInitialize")
public func initializeIDText(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    checkMaskedDescriptionRule()
    writeSeedsIfAsked {
        CardSeeds.unique([
            ("resident-wang-xiaoce", SAMCardImage.wangXiaoce.textBlock),
            (
                "resident-bad-check-digit",
                SAMCardImage.residentID(
                    name: "王小测", sex: "1", ethnicity: "01", birthDate: "19460512", address: "北京市东城区测试胡同1号",
                    number: "110101194605121232", authority: "北京市公安局东城分局", validFrom: "20160101",
                    validTo: "20360101"
                ).textBlock
            ),
            (
                "permit-j",
                SAMCardImage.residencePermit(
                    name: "陈测试", sex: "2", birthDate: "19940823", address: "北京市东城区测试路2号", number: "810000199408230021",
                    authority: "北京市公安局东城分局", validFrom: "20200101", validTo: "20250101",
                    travelPermitNumber: "H12345678", issueCount: "01"
                ).textBlock
            ),
            (
                "foreigner-2017-i",
                SAMCardImage.foreignPermanentResident2017(
                    englishName: "SMITH, JOHN TEST", sex: "1", number: "USA310055031516", nationality: "USA",
                    chineseName: "史密斯", validFrom: "20170601", validTo: "20270601", birthDate: "19550315",
                    acceptingAuthorityCode: "3100"
                ).textBlock
            ),
            (
                "foreigner-2023-y",
                SAMCardImage.foreignPermanentResident2023(
                    chineseName: "汗测试", sex: "2", renewalCount: "00", birthDate: "19800101",
                    englishName: "KHAN, MUHAMMAD ABDULLAH TESTNAME SECONDPART EXT", number: "931586198001010028",
                    validFrom: "20230101", validTo: "20330101", nationality: "PAK", previousNumberLink: "PAK"
                ).textBlock
            ),
            // Names that tripped the earlier leak rule in CI (masked descriptions, not leaks): `*,` (masked `**`,
            // then the description's comma) and U+082A, space, `*,` (masked `ࠪ *`); UCS-2LE, padded to a block.
            ("name-of-mask-characters", [0x2A, 0x00, 0x2C, 0x00]),
            ("name-holding-the-mask-character", [0x2A, 0x08, 0x20, 0x00, 0x2A, 0x00, 0x2C, 0x00]),
        ])
    }
    return 0
}

/// `main` (SwiftPM aliases it to `<module>_main`): libFuzzer's driver with this harness.
@_cdecl("fuzz_id_text_main")
public func fuzz_id_text_main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv, fuzzIDText)
}
