import KioskCore
import Testing
import VirtualCard

@testable import SmartCard

/// The social security card reader against the exact §8.2 transcript, against ``SocialSecurityCardImage`` in every
/// variant, and against broken records.
@Suite("Social security profile (cards.md §3, §8.2)")
struct SocialSecurityProfileTests {
    let profile = SocialSecurityProfile()

    /// Everything §8.2 says a reader must extract.
    func expectSection82Person(_ data: SocialSecurityCardData, name: String? = "王小测") {
        #expect(data.algorithm == 0x01)
        #expect(data.cardIdentificationCode == SocialSecurityCardImage.defaultCardIdentificationCode)
        #expect(data.regionCode == "110100")
        #expect(data.cardType == "3")
        #expect(data.specVersion == "2.00")
        #expect(data.generation == 2)
        #expect(data.initialisingInstitution == "110000000000000000000000")
        #expect(data.issueDate == CalendarDate(year: 2018, month: 6, day: 1))
        #expect(data.validUntil == CalendarDate(year: 2028, month: 6, day: 1))
        #expect(data.cardNumber == "123456789")
        #expect(data.socialSecurityNumber == "110101194605121231")
        #expect(data.name == name)
        #expect(data.sex == .male)
        #expect(data.ethnicity == .init(code: "01"))
        #expect(data.ethnicity?.name == "汉")
        #expect(data.birthplace == "110101")
        #expect(data.birthDate == CalendarDate(year: 1946, month: 5, day: 12))
        #expect(data.socialSecurityNumberProblem == nil)
        #expect(data.consistencyProblems.isEmpty)
        #expect(data.protectedItems.isEmpty)
        #expect(data.unreadableItems.isEmpty, "\(data.unreadableItems)")
    }

    func read<Image: CardImage>(_ image: Image) async throws -> (SocialSecurityCardData, [[UInt8]]) {
        let channel = ImageCardChannel(image)
        let data = try await profile.read(from: channel)
        return (data, await channel.sent)
    }

    // MARK: The §8.2 transcript, byte for byte

    @Test func transcriptParsesIntoSeventeenExchanges() {
        let exchanges = Section82.exchanges
        #expect(exchanges.count == 17)
        #expect(exchanges.allSatisfy { $0.response.suffix(2) == [0x90, 0x00] })
        #expect(exchanges[0].command == SocialSecurityProfile.selectSSSE.bytes)
        #expect(exchanges[0].response.count == 0x1B + 2)
    }

    @Test func readsTheSection82TranscriptExactly() async throws {
        let channel = ReplayCardChannel(Section82.exchanges, atr: SocialSecurityCardImage.defaultATR)
        let data = try await profile.read(from: channel)
        let mismatches = await channel.mismatchDescription
        #expect(mismatches.isEmpty, "\(mismatches)")
        #expect(await channel.remaining == 0)
        expectSection82Person(data)
        #expect(data.absentItems.isEmpty)
    }

    @Test func imageAnswersTheSection82TranscriptExactly() {
        var image = SocialSecurityCardImage()
        for exchange in Section82.exchanges {
            #expect(image.respond(to: exchange.command) == exchange.response, "\(exchange.command.hexString)")
        }
    }

    @Test func section82IdentitiesStrongestFirst() async throws {
        let data = try await profile.read(from: ReplayCardChannel(Section82.exchanges))
        let identities = data.identities()
        #expect(identities.map(\.kind) == [.residentID, .socialSecurityCard])
        #expect(identities.map(\.value) == ["110101194605121231", "123456789"])
        #expect(identities.allSatisfy { $0.isValidated && $0.displayName == "王小测" })
        #expect(data.rejectedFields.isEmpty)
    }

    @Test func descriptionIsMasked() async throws {
        let data = try await profile.read(from: ReplayCardChannel(Section82.exchanges))
        let mirrored = "\(Mirror(reflecting: data).children.map(\.value))"
        for text in [data.description, data.debugDescription, String(reflecting: data), mirrored] {
            #expect(!text.contains("110101194605121231"))
            #expect(!text.contains("123456789"))
            #expect(!text.contains("王小测"))
        }
        #expect(data.description.contains("110***********1231"))
    }

    // MARK: Variants of §8.2

    @Test func firstGenerationCardWithoutNameExtension() async throws {
        let (data, sent) = try await read(SocialSecurityCardImage(variant: .noNameExtension))
        expectSection82Person(data)
        #expect(data.absentItems == [0x4E])
        #expect(sent.contains([0x00, 0xB2, 0x4E, 0x00, 0x16]))
    }

    @Test func wrongLeIsResentWithTheLengthTheCardAsksFor() async throws {
        let (data, sent) = try await read(SocialSecurityCardImage(variant: .wrongLe))
        expectSection82Person(data)
        // Card number: 9 asked (Le 0B), 6C 12, resent with Le 12, first 9 characters kept.
        #expect(sent.contains([0x00, 0xB2, 0x07, 0x00, 0x0B]))
        #expect(sent.contains([0x00, 0xB2, 0x07, 0x00, 0x12]))
        #expect(sent.count == 18)
    }

    @Test func t0GetResponseAfterSelectSSSE() async throws {
        let (data, sent) = try await read(SocialSecurityCardImage(variant: .t0GetResponse))
        expectSection82Person(data)
        #expect(sent[1] == [0x00, 0xC0, 0x00, 0x00, 0x1B])
    }

    @Test func recordNumberOnlyCardIsReadByRecordNumber() async throws {
        let (data, sent) = try await read(SocialSecurityCardImage(variant: .recordNumberOnly))
        expectSection82Person(data)
        #expect(sent.contains([0x00, 0xB2, 0x01, 0x04, 0x12]))
        #expect(sent.contains([0x00, 0xB2, 0x07, 0x04, 0x06]), "EF06 rec 7 = 0D")
        #expect(sent.count == 19, "SELECT SSSE, then per file: SELECT EF, one refused identifier read, 7 by number")
    }

    @Test func recordNumberOnlyFirstGenerationPlacesRecordsByTheirTag() async throws {
        let (data, _) = try await read(SocialSecurityCardImage(variant: [.recordNumberOnly, .noNameExtension]))
        expectSection82Person(data)
        #expect(data.absentItems == [0x4E])
    }

    @Test func sfiOnlyCardIsReadWithImplicitSelection() async throws {
        let (data, sent) = try await read(SocialSecurityCardImage(variant: .sfiOnly))
        expectSection82Person(data)
        #expect(sent.contains([0x00, 0xB2, 0x01, 0x28, 0x12]))
        #expect(sent.contains([0x00, 0xB2, 0x08, 0x30, 0x14]))
    }

    @Test func sfiOnlyAndRecordNumberOnlyUsesTheFourthForm() async throws {
        let (data, sent) = try await read(SocialSecurityCardImage(variant: [.sfiOnly, .recordNumberOnly]))
        expectSection82Person(data)
        #expect(sent.contains([0x00, 0xB2, 0x07, 0x2C, 0x0B]))
    }

    @Test func birthDateMismatchIsReportedNotFatal() async throws {
        let (data, _) = try await read(SocialSecurityCardImage(variant: .birthDateMismatch))
        #expect(data.birthDate == CalendarDate(year: 1946, month: 5, day: 21))
        #expect(data.consistencyProblems.count == 1)
        #expect(data.consistencyProblems[0].contains("birth date"))
        #expect(data.identities().map(\.kind) == [.residentID, .socialSecurityCard])
    }

    @Test func sexMismatchIsReportedNotFatal() async throws {
        let (data, _) = try await read(SocialSecurityCardImage(variant: .sexMismatch))
        #expect(data.sex == .female)
        #expect(data.consistencyProblems.count == 1)
        #expect(data.consistencyProblems[0].contains("sex"))
        #expect(!data.consistencyProblems.joined().contains("1946"))
    }

    @Test func spec300CardWithoutPSAMReportsProtectedItems() async throws {
        let (data, sent) = try await read(SocialSecurityCardImage.thirdGenerationWithoutPSAM())
        #expect(data.needsSecureAccessModule)
        let everyItem: [UInt8] = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x4E, 0x0A, 0x0B, 0x0C, 0x0D]
        #expect(data.protectedItems == everyItem)
        #expect(!data.hasAnyItem)
        #expect(data.identities().isEmpty)
        #expect(sent.count == 17)
    }

    @Test func holderDataProtectedLeavesTheCardNumber() async throws {
        let (data, _) = try await read(SocialSecurityCardImage(specVersion: "3.00", variant: .holderDataNeedsPSAM))
        #expect(data.needsSecureAccessModule)
        #expect(data.specVersion == "3.00")
        #expect(data.generation == 3)
        #expect(data.identities().map(\.kind) == [.socialSecurityCard])
    }

    @Test func badCheckDigitIsRejectedNotUsed() async throws {
        let (data, _) = try await read(SocialSecurityCardImage(socialSecurityNumber: "110101194605121232"))
        #expect(data.socialSecurityNumberProblem != nil)
        #expect(data.identities().map(\.kind) == [.socialSecurityCard])
        #expect(data.rejectedFields.count == 1)
        #expect(data.rejectedFields[0].hasPrefix("EF06/08:"))
        #expect(!data.rejectedFields[0].contains("110101"))
    }

    @Test(arguments: [
        ("931586198001010028", IdentityKind.foreignPermanentResident, "2", 1980),
        ("810000199408230021", .residencePermit, "2", 1994),
    ])
    func otherEighteenCharacterNumbersKeepTheirKind(number: String, kind: IdentityKind, sex: String, year: Int)
        async throws
    {
        let (month, day) = year == 1980 ? (1, 1) : (8, 23)
        let image = SocialSecurityCardImage(
            socialSecurityNumber: number, sex: sex, birthDate: CalendarDate(year: year, month: month, day: day)!)
        let (data, _) = try await read(image)
        #expect(data.socialSecurityIdentity?.kind == kind)
        #expect(data.socialSecurityIdentity?.value == number)
        #expect(data.consistencyProblems.isEmpty)
    }

    @Test func foreigner2017NumberIsAcceptedByFormAndCrossChecked() async throws {
        // CAN 1100 810803 1 9: born (19)81-08-03, gender digit 1 (male).
        let matching = SocialSecurityCardImage(
            socialSecurityNumber: "CAN110081080319", sex: "1", birthDate: CalendarDate(year: 1981, month: 8, day: 3)!)
        let (data, _) = try await read(matching)
        #expect(data.socialSecurityIdentity?.kind == .foreignPermanentResident)
        #expect(data.socialSecurityIdentity?.value == "CAN110081080319")
        #expect(data.consistencyProblems.isEmpty)

        let mismatching = SocialSecurityCardImage(
            socialSecurityNumber: "CAN110081080319", sex: "2", birthDate: CalendarDate(year: 1981, month: 8, day: 4)!)
        let (other, _) = try await read(mismatching)
        #expect(other.consistencyProblems.count == 2)
    }

    @Test func ethnicityOutside01To56IsShownAsRawCode() async throws {
        let (data, _) = try await read(SocialSecurityCardImage(ethnicity: 0x97))
        #expect(data.ethnicity?.code == "97")
        #expect(data.ethnicity?.name == nil)
        #expect(data.ethnicity?.description.contains("97") == true)
    }

    @Test func longNameContinuesInTheExtension() async throws {
        let long = "阿卜杜热合曼·买买提吐尔逊·艾合买提·阿不都热西提"  // 25 characters, 50 GBK bytes: 30 in 09, 20 in 4E
        let (data, _) = try await read(SocialSecurityCardImage(name: long))
        #expect(data.name == long)
    }

    // MARK: Broken cards

    @Test func noSSSEIsUnsupported() async throws {
        await #expect(throws: CardError.unsupportedCard) {
            try await profile.read(from: ImageCardChannel(PBOCCardImage()))
        }
    }

    @Test func recordWithWrongTagOrLengthIsUnreadableNotFatal() async throws {
        var responses = Dictionary(uniqueKeysWithValues: Section82.exchanges.map { ($0.command, $0.response) })
        // 0D answered with tag 0C; 05 with a 3-byte date; 0A with a length beyond the data.
        responses[[0x00, 0xB2, 0x0D, 0x00, 0x06]] = [0x0C, 0x04, 0x19, 0x46, 0x05, 0x12, 0x90, 0x00]
        responses[[0x00, 0xB2, 0x05, 0x00, 0x06]] = [0x05, 0x03, 0x20, 0x18, 0x06, 0x90, 0x00]
        responses[[0x00, 0xB2, 0x0A, 0x00, 0x03]] = [0x0A, 0x05, 0x31, 0x90, 0x00]
        let card = ScriptedCardImage(responses: responses)
        let (data, _) = try await read(card)
        #expect(data.birthDate == nil)
        #expect(data.issueDate == nil)
        #expect(data.sex == nil)
        #expect(data.unreadableItems.count == 3, "\(data.unreadableItems)")
        #expect(data.socialSecurityNumber == "110101194605121231")
        #expect(data.identities().count == 2)
    }

    @Test func cardPulledMidReadThrowsCardRemoved() async throws {
        await #expect(throws: CardError.cardRemoved) {
            try await profile.read(from: ImageCardChannel(SocialSecurityCardImage(), removeAfter: 5))
        }
    }
}
