import KioskCore
import KioskTestSupport
import Testing
import VirtualCard

@testable import SmartCard

/// Card routing through the real pcscd + vpcd: each virtual card inserted with ``VirtualCardSlot``, connected with
/// ``PCSCCardReader``, routed with ``CardRouter``.
@Suite(
    .serialized, .pcscdExclusive,
    .enabled(if: PCSCDHarness.isEnabled, "needs root, unshare, pcscd and vsmartcard-vpcd"))
struct CardRoutingPCSCTests {
    let harness: PCSCDHarness
    var reader0: String { harness.readerNames[0] }
    let router = CardRouter()

    init() throws {
        harness = try PCSCDHarness.shared()
        try harness.start()
    }

    /// Inserts `image` in reader 0, connects, routes, disconnects, removes; the routing result or its error, and
    /// how long connect + route took.
    func route(_ image: some CardImage) async throws -> (result: Result<RoutedCardData, any Error>, took: Duration) {
        try await harness.withCard(in: 0, image) { _ in
            try await harness.waitForReader(0, hasCard: true)
            let io = PCSCCardReader(removalProbeWindow: .milliseconds(200))
            defer { io.close() }
            let start = ContinuousClock.now
            let channel = try await io.connect(reader: reader0)
            #expect(channel.atr == image.atr)
            let result: Result<RoutedCardData, any Error>
            do {
                result = .success(try await router.route(channel))
            } catch {
                result = .failure(error)
            }
            let took = ContinuousClock.now - start
            await channel.disconnect()
            return (result, took)
        }
    }

    func routed(_ image: some CardImage) async throws -> RoutedCardData {
        let (result, took) = try await route(image)
        let data = try result.get()
        print("routed \(data.profileSummary) in \(took.ms), \(data.apduCount) APDUs")
        return data
    }

    // MARK: Social security cards

    @Test func section82SocialSecurityCard() async throws {
        let data = try await routed(SocialSecurityCardImage())
        #expect(data.profiles == ["ssse"])
        #expect(data.identities.map(\.kind) == [.residentID, .socialSecurityCard])
        #expect(data.identities.map(\.value) == ["110101194605121231", "123456789"])
        #expect(data.displayName == "王小测")
        #expect(data.socialSecurity?.specVersion == "2.00")
        #expect(data.socialSecurity?.validUntil == CalendarDate(year: 2028, month: 6, day: 1))
    }

    @Test(arguments: [
        SocialSecurityCardImage.Variant.noNameExtension, .wrongLe, .t0GetResponse, .recordNumberOnly, .sfiOnly,
    ])
    func socialSecurityVariantsYieldTheSameIdentities(variant: SocialSecurityCardImage.Variant) async throws {
        let data = try await routed(SocialSecurityCardImage(variant: variant))
        #expect(data.identities.map(\.kind) == [.residentID, .socialSecurityCard])
        #expect(data.displayName == "王小测")
        #expect(data.socialSecurity?.unreadableItems == [])
    }

    @Test(arguments: [SocialSecurityCardImage.Variant.birthDateMismatch, .sexMismatch])
    func inconsistentCardsAreReadWithANote(variant: SocialSecurityCardImage.Variant) async throws {
        let data = try await routed(SocialSecurityCardImage(variant: variant))
        #expect(data.identities.first?.kind == .residentID)
        #expect(data.socialSecurity?.consistencyProblems.count == 1)
        #expect(data.notes.contains { $0.hasPrefix("ssse: birth date") || $0.hasPrefix("ssse: sex") })
    }

    @Test func spec300CardWithoutPSAMFallsBackToItsPBOCApplication() async throws {
        let data = try await routed(SocialSecurityCardImage.thirdGenerationWithoutPSAM())
        #expect(data.profiles == ["pboc"])
        #expect(data.fellBackFrom == "ssse")
        #expect(data.profileSummary == "pboc (fell back from ssse: needs PSAM)")
        #expect(data.identities.map(\.kind) == [.residentID, .bankCardPAN])
    }

    @Test func thirdGenerationCardWithBothApplications() async throws {
        let data = try await routed(SocialSecurityCardImage(specVersion: "3.00", bankApplication: PBOCCardImage()))
        #expect(data.profileSummary == "ssse+pboc")
        #expect(data.identities.map(\.kind) == [.residentID, .socialSecurityCard, .bankCardPAN])
    }

    // MARK: PBOC

    @Test func section81PBOCCardRoutesToIDAndPAN() async throws {
        let data = try await routed(PBOCCardImage())
        #expect(data.profiles == ["pboc"])
        #expect(data.identities.map(\.kind) == [.residentID, .bankCardPAN])
        #expect(data.identities.map(\.value) == ["110101194605121231", "6299999900000000014"])
        #expect(data.displayName == "王小测")
    }

    // MARK: Resident ID card

    @Test(arguments: [
        (ResidentIDPlainCardImage.rfATR, false), (ResidentIDPlainCardImage.secondGenerationATR, true),
    ])
    func residentIDCardIsToldToUseTheIDReader(atr: [UInt8], trailingByte: Bool) async throws {
        let (result, took) = try await route(ResidentIDPlainCardImage(trailingByte: trailingByte, atr: atr))
        print("ID card recognised in \(took.ms)")
        #expect(throws: IDCardOnPCSCReader.self) { try result.get() }
        if case .failure(let error as IDCardOnPCSCReader) = result {
            #expect(error.serial == ResidentIDPlainCardImage.defaultSerial)
            #expect(error.atrMatched)
            #expect(error.guidance.zh == "请将身份证放在身份证阅读区")
        }
    }

    // MARK: Unsupported cards

    @Test(arguments: [DeadCardImage.Behaviour.instructionNotSupported, .oneByte, .oversized])
    func deadCardsAreUnsupported(behaviour: DeadCardImage.Behaviour) async throws {
        let (result, took) = try await route(DeadCardImage(behaviour))
        print("dead card (\(behaviour)) given up in \(took.ms)")
        #expect(throws: CardError.unsupportedCard) { try result.get() }
        #expect(took < .seconds(10))  // "does not hang", not a speed limit
    }

    @Test func otherSchemeBankCardIsUnsupported() async throws {
        let (result, _) = try await route(PBOCCardImage.otherSchemeDebitCard())
        #expect(throws: CardError.unsupportedCard) { try result.get() }
    }

    @Test func transportOnlyCardIsUnsupported() async throws {
        let card = ScriptedCardImage(
            responses: [
                "00 B0 84 00 20": "10 00 12 34 56 78 90 12" + String(repeating: " 00", count: 16)
                    + " 20 16 01 01 20 49 12 31 90 00"
            ], defaultResponse: "6A 82")
        let (result, _) = try await route(card)
        #expect(throws: CardError.unsupportedCard) { try result.get() }
    }

    @Test func socialSecurityCardWithoutPSAMOrBankApplicationNeedsPSAM() async throws {
        let (result, _) = try await route(SocialSecurityCardImage(specVersion: "3.00", variant: .needsPSAM))
        #expect(throws: CardError.needsSecureAccessModule) { try result.get() }
    }
}
