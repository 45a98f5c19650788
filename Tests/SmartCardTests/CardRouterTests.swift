import KioskCore
import Testing
import VirtualCard

@testable import SmartCard

/// Card routing on in-memory cards: which applications answer, merged identities, fallbacks and refusals.
@Suite("Card router")
struct CardRouterTests {
    let router = CardRouter(
        pboc: PBOCProfile(
            transactionDate: CalendarDate(year: 2022, month: 5, day: 1), unpredictableNumber: [0x11, 0x22, 0x33, 0x44]))

    func route(_ image: some CardImage) async throws -> RoutedCardData {
        try await router.route(ImageCardChannel(image))
    }

    @Test func secondGenerationSocialSecurityCard() async throws {
        let routed = try await route(SocialSecurityCardImage())
        #expect(routed.profiles == ["ssse"])
        #expect(routed.profileSummary == "ssse")
        #expect(routed.identities.map(\.kind) == [.residentID, .socialSecurityCard])
        #expect(routed.displayName == "王小测")
        #expect(routed.rejectedFields.isEmpty)
        #expect(routed.notes == ["pboc: no UnionPay application"])
        #expect(routed.fellBackFrom == nil)
        #expect(routed.apduCount == 25, "BMAC probe, §8.2, PPSE + PSE + 5 UnionPay AIDs")
    }

    @Test func pbocCardRoutesToPANAndID() async throws {
        let routed = try await route(PBOCCardImage())
        #expect(routed.profiles == ["pboc"])
        #expect(routed.identities.map(\.kind) == [.residentID, .bankCardPAN])
        #expect(routed.identities.map(\.value) == ["110101194605121231", "6299999900000000014"])
        #expect(routed.displayName == "王小测")
        #expect(routed.apduCount == 8, "BMAC probe, SELECT SSSE, §8.1")
    }

    @Test func thirdGenerationCardWithBothApplicationsYieldsEveryIdentityOnce() async throws {
        let image = SocialSecurityCardImage(specVersion: "3.00", bankApplication: PBOCCardImage())
        let routed = try await route(image)
        #expect(routed.profiles == ["ssse", "pboc"])
        #expect(routed.profileSummary == "ssse+pboc")
        // The SSN equals 9F61: one resident ID, then the card number, then the PAN.
        #expect(routed.identities.map(\.kind) == [.residentID, .socialSecurityCard, .bankCardPAN])
        #expect(routed.identities.allSatisfy { $0.displayName == "王小测" })
    }

    @Test func spec300WithoutPSAMFallsBackToPBOC() async throws {
        let routed = try await route(SocialSecurityCardImage.thirdGenerationWithoutPSAM())
        #expect(routed.profiles == ["pboc"])
        #expect(routed.fellBackFrom == "ssse")
        #expect(routed.profileSummary == "pboc (fell back from ssse: needs PSAM)")
        #expect(routed.identities.map(\.kind) == [.residentID, .bankCardPAN])
        #expect(routed.notes.contains { $0.hasPrefix("ssse: needs a PSAM") })
        #expect(routed.socialSecurity?.needsSecureAccessModule == true)
    }

    @Test func spec300WithoutPSAMAndWithoutBankApplicationNeedsPSAM() async throws {
        let image = SocialSecurityCardImage(specVersion: "3.00", variant: .needsPSAM)
        await #expect(throws: CardError.needsSecureAccessModule) { try await route(image) }
    }

    @Test func spec300WithReadableEF05KeepsTheCardNumberAndThePBOCIdentities() async throws {
        let image = SocialSecurityCardImage(
            specVersion: "3.00", variant: .holderDataNeedsPSAM,
            bankApplication: PBOCCardImage(variant: .noNameOrID))
        let routed = try await route(image)
        #expect(routed.profiles == ["ssse", "pboc"])
        #expect(routed.fellBackFrom == nil)
        #expect(routed.identities.map(\.kind) == [.socialSecurityCard, .bankCardPAN])
        #expect(routed.displayName == nil)
    }

    @Test func consistencyProblemsBecomeNotes() async throws {
        let routed = try await route(SocialSecurityCardImage(variant: [.birthDateMismatch, .sexMismatch]))
        #expect(routed.notes.filter { $0.hasPrefix("ssse: birth date") || $0.hasPrefix("ssse: sex") }.count == 2)
        #expect(routed.rejectedFields.isEmpty)
        #expect(routed.identities.first?.kind == .residentID)
    }

    @Test func badSocialSecurityNumberIsRejectedButTheCardNumberStays() async throws {
        let routed = try await route(SocialSecurityCardImage(socialSecurityNumber: "110101194605121232"))
        #expect(routed.identities.map(\.kind) == [.socialSecurityCard])
        #expect(routed.rejectedFields.count == 1)
    }

    @Test func seniorCardWithTransportApplication() async throws {
        var responses: [String: String] = [:]
        responses["00 B0 84 00 20"] = """
            10 00 12 34 56 78 90 12 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 20 16 01 01 20 49 12 31 90 00
            """
        let transport = ScriptedCardImage(responses: responses, defaultResponse: "6A 82")
        let card = TransportPlusPBOC(transport: transport, bank: PBOCCardImage())
        let routed = try await route(card)
        #expect(routed.profiles == ["bmac", "pboc"])
        #expect(routed.transport?.cardNumber == "1000123456789012")
        #expect(routed.transport?.issueDate == CalendarDate(year: 2016, month: 1, day: 1))
        #expect(routed.transport?.expiryDate == CalendarDate(year: 2049, month: 12, day: 31))
        #expect(routed.transport?.description.contains("1000123456789012") == false)
        #expect(routed.identities.map(\.kind) == [.residentID, .bankCardPAN])
    }

    @Test func transportOnlyCardIsUnsupported() async throws {
        let card = ScriptedCardImage(
            responses: [
                "00 B0 84 00 20": "10 00 12 34 56 78 90 12" + String(repeating: " 00", count: 16)
                    + " 20 16 01 01 20 49 12 31 90 00"
            ], defaultResponse: "6A 82")
        await #expect(throws: CardError.unsupportedCard) { try await route(card) }
    }

    @Test func otherSchemeBankCardIsUnsupportedWithoutGPO() async throws {
        let channel = ImageCardChannel(PBOCCardImage.otherSchemeDebitCard())
        await #expect(throws: CardError.unsupportedCard) { try await router.route(channel) }
        let sent = await channel.sent
        #expect(!sent.contains { $0.starts(with: [0x80, 0xA8]) }, "no GET PROCESSING OPTIONS to a Visa card")
        #expect(!sent.contains { $0.count > 5 && Array($0[5...]).starts(with: PBOCCardImage.visaAID) })
    }

    @Test(arguments: [DeadCardImage.Behaviour.instructionNotSupported, .oneByte, .oversized])
    func deadOrGarbageCardsAreUnsupportedWithinTheBudget(behaviour: DeadCardImage.Behaviour) async throws {
        let channel = ImageCardChannel(DeadCardImage(behaviour))
        await #expect(throws: CardError.unsupportedCard) { try await router.route(channel) }
        let sent = await channel.sent
        #expect(sent.count <= router.maximumAPDUs)
        if behaviour == .oneByte {
            #expect(sent.count == 1, "a card that cannot produce a status word is not probed further")
        } else {
            #expect(sent.last == ResidentIDCardProbe.readSerial, "the serial probe comes last for an unknown ATR")
        }
    }

    @Test func apduBudgetStopsAChattyCard() async throws {
        // Every READ RECORD answers 61 01 and GET RESPONSE 61 01 again: only the budget ends it.
        struct Chatty: CardImage {
            var atr: [UInt8] = DeadCardImage.defaultATR
            mutating func respond(to command: [UInt8]) -> [UInt8] {
                command.starts(with: [0x00, 0xA4, 0x04, 0x00, 0x0F]) ? [0x90, 0x00] : [0x61, 0x01]
            }
        }
        let tight = CardRouter(maximumAPDUs: 20)
        let channel = ImageCardChannel(Chatty())
        await #expect(throws: CardError.unsupportedCard) { try await tight.route(channel) }
        #expect(await channel.sent.count == 20)
    }

    @Test(arguments: [
        (ResidentIDPlainCardImage.rfATR, false), (ResidentIDPlainCardImage.secondGenerationATR, true),
    ])
    func residentIDCardIsRecognisedFirstByItsATR(atr: [UInt8], trailingByte: Bool) async throws {
        let channel = ImageCardChannel(ResidentIDPlainCardImage(trailingByte: trailingByte, atr: atr))
        let error = await #expect(throws: IDCardOnPCSCReader.self) { try await router.route(channel) }
        #expect(error?.serial == ResidentIDPlainCardImage.defaultSerial)
        #expect(error?.atrMatched == true)
        #expect(error?.maskedSerial == "0123********CDEF")
        #expect(error?.guidance == Guidance(zh: "请将身份证放在身份证阅读区", en: "Please place your ID card on the ID-card reader"))
        #expect(error?.description.contains("0123456789ABCDEF") == false)
        #expect(await channel.sent == [ResidentIDCardProbe.readSerial])
    }

    @Test func residentIDCardWithAnUnknownATRIsRecognisedLast() async throws {
        let channel = ImageCardChannel(ResidentIDPlainCardImage(trailingByte: true, atr: DeadCardImage.defaultATR))
        let error = await #expect(throws: IDCardOnPCSCReader.self) { try await router.route(channel) }
        #expect(error?.atrMatched == false)
        #expect(await channel.sent.last == ResidentIDCardProbe.readSerial)
    }

    @Test func serialAnswerShapes() {
        let serial = ResidentIDPlainCardImage.defaultSerial
        #expect(ResidentIDCardProbe.serial(in: serial + [0x90, 0x00]) == serial)
        #expect(ResidentIDCardProbe.serial(in: serial + [0x90, 0x00, 0x00]) == serial)
        #expect(ResidentIDCardProbe.serial(in: serial + [0x6A, 0x82]) == nil)
        #expect(ResidentIDCardProbe.serial(in: Array(serial.prefix(4)) + [0x90, 0x00]) == nil)
        #expect(ResidentIDCardProbe.serial(in: [0x6D, 0x00]) == nil)
    }

    @Test func cardPulledMidRoutingThrowsCardRemoved() async throws {
        await #expect(throws: CardError.cardRemoved) {
            try await router.route(ImageCardChannel(SocialSecurityCardImage(), removeAfter: 6))
        }
    }

    @Test func knownIDCardATRsHaveValidChecksums() {
        for atr in ResidentIDCardProbe.knownATRs + [SocialSecurityCardImage.defaultATR, DeadCardImage.defaultATR] {
            #expect(atr.dropFirst().reduce(0, ^) == 0, "TCK of \(atr.hexString)")
        }
    }
}

/// A senior card: a transport application answering READ BINARY SFI 4, and a PBOC application for the rest.
struct TransportPlusPBOC: CardImage {
    var transport: ScriptedCardImage
    var bank: PBOCCardImage
    var atr: [UInt8] { bank.atr }

    mutating func respond(to command: [UInt8]) -> [UInt8] {
        command.starts(with: [0x00, 0xB0]) ? transport.respond(to: command) : bank.respond(to: command)
    }
}
