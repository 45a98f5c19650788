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
    // Privacy: the summary for logs shows masked values only. A value leaks when the summary holds it in clear and
    // would not hold it without that field, outside the mask the masking rule gives it (see `leaks`).
    func summary(_ change: (inout PBOCCardData) -> Void) -> String {
        var copy = card
        change(&copy)
        return "\(copy)" + String(reflecting: copy)
    }
    let full = summary { _ in }
    if card.pan.count > 10 {
        invariant(
            !leaks(card.pan, maskedAs: Masking.pan(card.pan), in: full, without: summary { $0.pan = "" }),
            "description shows the PAN")
    }
    if let id = card.idNumber, id.count > 7 {
        invariant(
            !leaks(id, maskedAs: Masking.idNumber(id), in: full, without: summary { $0.idNumber = nil }),
            "description shows the ID number")
    }
    if let name = card.cardholderName {
        invariant(
            !leaks(name, maskedAs: Masking.name(name), in: full, without: summary { $0.cardholderName = nil }),
            "description shows the name")
    }
    return 0
}

/// Seeds: the PBOC card image's answers to a read, plain and in each variant.
@_cdecl("LLVMFuzzerInitialize")
public func initializePBOC(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
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
