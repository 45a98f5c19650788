import FuzzSupport
import KioskCore
import SmartCard

/// `SocialSecurityProfile.read` against a card whose every answer comes from the input (``ScriptedCardChannel``):
/// SELECT SSSE and its FCI, the four READ RECORD forms, simple-TLV items, BCD dates, GB 18030 names, the number
/// checks and the cross-checks between the number and EF06.
///
/// Invariants: the read never traps (it returns data or throws a ``CardError``); every command it sends is a
/// well-formed APDU; identities are the validated numbers only; the description holds neither the social security
/// number, the card number nor the name in clear.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSSSE(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let responses = ScriptedCardChannel.responses(from: FuzzInput(data, size).bytes)
    let outcome: Result<SocialSecurityCardData, CardError>? = runBlocking {
        do {
            return .success(try await SocialSecurityProfile().read(from: ScriptedCardChannel(responses: responses)))
        } catch let error as CardError {
            return .failure(error)
        } catch {
            return nil
        }
    }
    guard let outcome else { fatalError("SocialSecurityProfile.read threw an error that is not a CardError") }
    guard case .success(let card) = outcome else { return 0 }

    for identity in card.identities() {
        invariant(identity.isValidated, "an identity that is not validated")
        invariant(
            identity.value == card.socialSecurityIdentity?.value || identity.value == card.cardNumber,
            "an identity that is neither the number nor the card number")
    }
    if card.socialSecurityIdentity != nil {
        invariant(card.socialSecurityNumberProblem == nil, "a valid number with a problem")
    }
    _ = card.rejectedFields
    _ = card.generation
    // Privacy: the summary for logs shows the two numbers and the name masked only.
    requireMaskedDescription(
        of: card,
        [
            .idNumber("social security number", \.socialSecurityNumber), .idNumber("card number", \.cardNumber),
            .name("name", \.name),
        ])
    return 0
}

/// Seeds: the social security card image's answers to a read, plain and in each variant.
@_cdecl("LLVMFuzzerInitialize")
public func initializeSSSE(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    checkMaskedDescriptionRule()
    writeSeedsIfAsked {
        CardSeeds.unique(CardSeeds.ssseTranscripts().map { ($0.name, ScriptedCardChannel.encode($0.responses)) })
    }
    return 0
}

/// `main` (SwiftPM aliases it to `<module>_main`): libFuzzer's driver with this harness.
@_cdecl("fuzz_ssse_main")
public func fuzz_ssse_main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv, fuzzSSSE)
}
