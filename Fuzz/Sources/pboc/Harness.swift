import FuzzSupport
import KioskCore
import SmartCard

/// `PBOCProfile.read` against a card whose every answer comes from the input (``ScriptedCardChannel``): directory
/// (PPSE/PSE), SELECT FCI and PDOL, GPO formats 1 and 2, AFL, records, track 2, BCD, GB 18030 names, GET DATA.
///
/// Invariants: the read never traps (it returns data or throws a ``CardError``); every command it sends is a
/// well-formed APDU; what it returns has a non-empty all-digit PAN, identities that carry it, and a description that
/// holds neither the PAN nor the ID number nor the name in clear.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPBOC(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let responses = ScriptedCardChannel.responses(from: FuzzInput(data, size).bytes)
    let outcome: Result<PBOCCardData, CardError>? = runBlocking {
        do {
            return .success(try await CardSeeds.pboc.read(from: ScriptedCardChannel(responses: responses)))
        } catch let error as CardError {
            return .failure(error)
        } catch {
            return nil
        }
    }
    guard let outcome else { fatalError("PBOCProfile.read threw an error that is not a CardError") }
    guard case .success(let card) = outcome else { return 0 }

    invariant(!card.pan.isEmpty && card.pan.allSatisfy { $0.isASCII && $0.isNumber }, "PAN is not digits")
    let identities = card.identities()
    invariant(identities.contains { $0.kind == .bankCardPAN && $0.value == card.pan }, "PAN identity missing")
    if let residentID = card.residentID {
        invariant(identities.first?.value == residentID.value, "a valid resident ID is not the strongest identity")
    }
    // Privacy: the summary for logs shows the PAN, the ID number and the name masked only.
    requireMaskedDescription(
        of: card, [.pan("PAN", \.pan), .idNumber("ID number", \.idNumber), .name("name", \.cardholderName)])
    return 0
}

/// Seeds: the PBOC card image's answers to a read, plain and in each variant.
@_cdecl("LLVMFuzzerInitialize")
public func initializePBOC(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    checkMaskedDescriptionRule()
    writeSeedsIfAsked {
        CardSeeds.unique(CardSeeds.pbocTranscripts().map { ($0.name, ScriptedCardChannel.encode($0.responses)) })
    }
    return 0
}

/// `main` (SwiftPM aliases it to `<module>_main`): libFuzzer's driver with this harness.
@_cdecl("fuzz_pboc_main")
public func fuzz_pboc_main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv, fuzzPBOC)
}
