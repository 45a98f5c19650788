import KioskCore
import Testing
import VirtualCard

@testable import SmartCard

/// The PBOC reader against the exact §8.1 transcript, against ``PBOCCardImage`` in every variant, and against
/// broken cards.
@Suite("PBOC profile (cards.md §1, §8.1)")
struct PBOCProfileTests {
    /// Fixed UN 11223344 as in the §8.1 GPO; the §8.1 PDOL has no date, but fix it anyway.
    let profile = PBOCProfile(
        transactionDate: CalendarDate(year: 2022, month: 5, day: 1), unpredictableNumber: [0x11, 0x22, 0x33, 0x44])

    /// Checks everything §8.1 says a reader must extract.
    func expectSection81Person(_ data: PBOCCardData, name: Bool = true, id: Bool = true) {
        #expect(data.aid == [0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x01])
        #expect(data.applicationLabel == "PBOC DEBIT")
        #expect(data.pan == "6299999900000000014")
        #expect(data.panValid)
        #expect(data.expiry == CardExpiry(year: 2049, month: 12))
        #expect(data.expiry?.description == "2049-12")
        #expect(data.cardholderName == (name ? "王小测" : nil))
        #expect(data.idNumber == (id ? "110101194605121231" : nil))
        #expect(data.idType == (id ? .residentIDCard : nil))
        #expect(data.idNumberProblem == nil)
        #expect(data.eCashBalanceFen == 1000)
    }

    // MARK: The §8.1 transcript, byte for byte

    @Test func transcriptParsesIntoSixExchanges() {
        let exchanges = Section81.exchanges
        #expect(exchanges.count == 6)
        #expect(exchanges[0].command == PBOCCommands.selectPPSE)
        #expect(exchanges[2].response.suffix(2) == [0x90, 0x00])
        #expect(exchanges[2].response.count == 18)  // the format-1 comment is not part of the response
        #expect(exchanges[3].response.count == 0x36 + 2 + 2)
    }

    @Test func readsTheSection81TranscriptExactly() async throws {
        let channel = ReplayCardChannel(Section81.exchanges)
        let data = try await profile.read(from: channel)
        let mismatches = await channel.mismatchDescription
        #expect(mismatches.isEmpty, "\(mismatches)")
        #expect(await channel.remaining == 0)
        expectSection81Person(data)
    }

    @Test func section81IdentitiesStrongestFirst() async throws {
        let data = try await profile.read(from: ReplayCardChannel(Section81.exchanges))
        let identities = data.identities()
        #expect(identities.map(\.kind) == [.residentID, .bankCardPAN])
        #expect(identities[0].value == "110101194605121231")
        #expect(identities[0].isValidated)
        #expect(identities[1].value == "6299999900000000014")
        #expect(identities[1].isValidated)
        #expect(identities.allSatisfy { $0.displayName == "王小测" })
        #expect(data.residentID?.birthDate == CalendarDate(year: 1946, month: 5, day: 12))
    }

    @Test func format1GPOResponseFromTheTranscriptComment() async throws {
        var exchanges = Section81.exchanges
        exchanges[2].response = [UInt8](hex: "80 0A 7C 00 08 01 01 00 10 01 01 00 90 00")!
        let data = try await profile.read(from: ReplayCardChannel(exchanges))
        expectSection81Person(data)
    }

    @Test func absentECashBalanceIsFine() async throws {
        var exchanges = Section81.exchanges
        exchanges[5].response = [0x6A, 0x88]
        let data = try await profile.read(from: ReplayCardChannel(exchanges))
        #expect(data.eCashBalanceFen == nil)
        #expect(data.pan == "6299999900000000014")
    }

    @Test func bareECashValueWithoutTagIsAccepted() async throws {
        var exchanges = Section81.exchanges
        exchanges[5].response = [UInt8](hex: "00 00 00 00 25 01 90 00")!
        #expect(try await profile.read(from: ReplayCardChannel(exchanges)).eCashBalanceFen == 2501)
    }

    @Test func badIDCheckDigitIsReportedNotUsed() async throws {
        var exchanges = Section81.exchanges
        // Last ID digit 1 → 2 (wrong MOD 11-2 check character); lengths unchanged.
        var changed = exchanges[3].response
        let idEnd = try #require(Self.range(of: [0x9F, 0x62], in: changed)).lowerBound - 1
        #expect(changed[idEnd] == 0x31)
        changed[idEnd] = 0x32
        exchanges[3].response = changed
        let data = try await profile.read(from: ReplayCardChannel(exchanges))
        #expect(data.idNumber == "110101194605121232")
        #expect(data.idType == .residentIDCard)
        #expect(data.idNumberProblem == .badCheckDigit(expected: "1"))
        #expect(data.residentID == nil)
        #expect(data.identities().map(\.kind) == [.bankCardPAN])
        #expect(data.description.contains("ID problem"))
    }

    @Test func malformedRecordIsMalformedData() async throws {
        var exchanges = Section81.exchanges
        // 9F62 claims 5 bytes where its template holds 1.
        var record = exchanges[3].response
        let at = try #require(Self.range(of: [0x9F, 0x62, 0x01], in: record)).upperBound - 1
        record[at] = 0x05
        exchanges[3].response = record
        await #expect(
            throws: CardError.malformedData(
                context: "READ RECORD SFI 1 rec 1: value extends beyond the buffer (tag 9F62) at offset 52")
        ) {
            try await profile.read(from: ReplayCardChannel(exchanges))
        }
    }

    @Test func truncatedResponseIsMalformedData() async throws {
        var exchanges = Section81.exchanges
        // Record 2 cut after 20 bytes of its 35, SW still 9000 (a reader that lost the tail).
        exchanges[4].response = Array(exchanges[4].response.prefix(20)) + [0x90, 0x00]
        let error = await #expect(throws: CardError.self) { try await profile.read(from: ReplayCardChannel(exchanges)) }
        guard case .malformedData(let context) = error else {
            Issue.record("expected malformedData, got \(String(describing: error))")
            return
        }
        #expect(context.hasPrefix("READ RECORD SFI 2 rec 1: value extends beyond the buffer (tag 70)"))
    }

    @Test func everyTruncationOfEveryResponseThrowsCardErrorOrReads() async {
        for step in Section81.exchanges.indices {
            let response = Section81.exchanges[step].response
            for length in 0..<(response.count - 2) {
                var exchanges = Section81.exchanges
                exchanges[step].response = Array(response.prefix(length)) + [0x90, 0x00]
                do {
                    _ = try await profile.read(from: ReplayCardChannel(exchanges))
                } catch is CardError {
                    // expected for most cuts
                } catch {
                    Issue.record("step \(step) cut at \(length): unexpected \(error)")
                }
            }
        }
    }

    @Test func recordThatIsNotA70TemplateIsMalformed() async throws {
        var exchanges = Section81.exchanges
        exchanges[4].response = [UInt8](hex: "77 03 5A 01 62 90 00")!
        await #expect(throws: CardError.self) { try await profile.read(from: ReplayCardChannel(exchanges)) }
    }

    @Test func cardRemovedPropagates() async throws {
        for removeAfter in 0..<6 {
            let channel = ImageCardChannel(PBOCCardImage(), removeAfter: removeAfter)
            await #expect(throws: CardError.cardRemoved) { try await profile.read(from: channel) }
        }
    }

    // MARK: PBOCCardImage

    @Test func defaultImagePlaysTheSection81TranscriptByteForByte() async throws {
        let channel = ImageCardChannel(PBOCCardImage())
        let data = try await profile.read(from: channel)
        expectSection81Person(data)
        #expect(await channel.exchanges == Section81.exchanges)
    }

    @Test func defaultATRHasAValidCheckByte() {
        let atr = PBOCCardImage.defaultATR
        #expect(atr.prefix(4) == [0x3B, 0x89, 0x80, 0x01])  // 9 historical bytes; TD1 T=0, TD2 T=1
        #expect(atr.count == 4 + 9 + 1)
        #expect(atr.dropFirst().reduce(0, ^) == 0)  // TCK: XOR of T0 … TCK is zero (ISO/IEC 7816-3 §8.2.5)
    }

    @Test(arguments: PBOCCardImage.Variant.allCases.map(\.name))
    func readsEveryImageVariant(_ name: String) async throws {
        let variant = try #require(PBOCCardImage.Variant.allCases.first { $0.name == name }?.variant)
        let channel = ImageCardChannel(PBOCCardImage(variant: variant))
        let data = try await profile.read(from: channel)
        let hidesNameAndID = variant.contains(.noNameOrID)
        expectSection81Person(data, name: !hidesNameAndID, id: !hidesNameAndID)
        #expect(data.identities().first?.kind == (hidesNameAndID ? .bankCardPAN : .residentID))
    }

    @Test func variantsChangeWhatIsSentAndAnswered() async throws {
        func sent(_ variant: PBOCCardImage.Variant) async throws -> [[UInt8]] {
            let channel = ImageCardChannel(PBOCCardImage(variant: variant))
            _ = try await profile.read(from: channel)
            return await channel.sent
        }
        let getResponse = try await sent(.t0GetResponse).filter { $0.starts(with: [0x00, 0xC0, 0x00, 0x00]) }
        #expect(getResponse.count == 3)  // PPSE, AID, GPO
        #expect(getResponse.first == [0x00, 0xC0, 0x00, 0x00, 0x32])
        let resends = try await sent(.wrongLe).filter { $0.count == 5 && $0[4] != 0x00 }
        #expect(
            resends == [
                [0x00, 0xB2, 0x01, 0x0C, 0x38], [0x00, 0xB2, 0x01, 0x14, 0x23], [0x80, 0xCA, 0x9F, 0x79, 0x09],
            ])
        let pse = try await sent(.noPPSE)
        #expect(pse.contains(PBOCCommands.selectPSE))
        #expect(pse.contains([0x00, 0xB2, 0x01, 0x0C, 0x00]))
        let noDirectory = try await sent(.noDirectory)
        #expect(noDirectory.prefix(3) == [PBOCCommands.selectPPSE, PBOCCommands.selectPSE, PBOCCommands.selectDebit])
    }

    @Test func nameVariantsDecodeTheSameName() async throws {
        for variant: PBOCCardImage.Variant in [[.namePadded00, .nameIn9F0B], .namePadded20, .nameIn9F0B] {
            let data = try await profile.read(from: ImageCardChannel(PBOCCardImage(variant: variant)))
            #expect(data.cardholderName == "王小测")
        }
        let latin = try await profile.read(
            from: ImageCardChannel(PBOCCardImage(name: "WANG/XIAOCE", variant: .namePadded20)))
        #expect(latin.cardholderName == "WANG XIAOCE")
    }

    @Test func combinedVariants() async throws {
        let variant: PBOCCardImage.Variant = [.t0GetResponse, .wrongLe, .noDirectory, .track2Only, .gpoFormat1]
        let data = try await profile.read(from: ImageCardChannel(PBOCCardImage(variant: variant)))
        expectSection81Person(data)
    }

    @Test func track2OnlyTakesExpiryFrom5F24AndPANFrom57() async throws {
        let image = PBOCCardImage(pan: "6212345678901234", variant: [.track2Only])
        let data = try await profile.read(from: ImageCardChannel(image))
        #expect(data.pan == "6212345678901234")
        #expect(data.panValid == PAN.luhnValid("6212345678901234"))
    }

    @Test func badLuhnPANIsReadButNotValidated() async throws {
        let data = try await profile.read(from: ImageCardChannel(PBOCCardImage(pan: "6299999900000000015")))
        #expect(data.pan == "6299999900000000015")
        #expect(!data.panValid)
        let pan = try #require(data.identities().first { $0.kind == .bankCardPAN })
        #expect(!pan.isValidated)
    }

    @Test func otherIDTypesAreKeptButNotUsedAsResidentID() async throws {
        let data = try await profile.read(
            from: ImageCardChannel(PBOCCardImage(idNumber: "E12345678", idType: 0x02)))
        #expect(data.idType == .passport)
        #expect(data.idNumber == "E12345678")
        #expect(data.idNumberProblem == nil)
        #expect(data.identities().map(\.kind) == [.bankCardPAN])
    }

    @Test func fifteenDigitIDIsConvertedForTheIdentity() async throws {
        let data = try await profile.read(from: ImageCardChannel(PBOCCardImage(idNumber: "110101460512123")))
        #expect(data.idNumber == "110101460512123")
        #expect(data.identities().first?.value == "110101194605121231")
    }

    @Test func absentECashFromImage() async throws {
        let data = try await profile.read(from: ImageCardChannel(PBOCCardImage(eCashFen: nil)))
        #expect(data.eCashBalanceFen == nil)
    }

    // MARK: Failure paths

    @Test func noPBOCApplicationIsUnsupportedCard() async throws {
        let card = ScriptedCardImage(responses: [:], defaultResponse: "6A 82")
        let channel = ImageCardChannel(card)
        await #expect(throws: CardError.unsupportedCard) { try await profile.read(from: channel) }
        // PPSE, PSE, then all five known AIDs.
        #expect(await channel.sent.count == 7)
    }

    @Test func gpoRefusedTwiceIsUnexpectedStatus() async throws {
        var responses = Dictionary(
            uniqueKeysWithValues: Section81.exchanges.prefix(2).map { ($0.command, $0.response) })
        responses[PBOCProfile.gpoCommand(pdolData: []).bytes] = [0x69, 0x85]
        let channel = ImageCardChannel(ScriptedCardImage(responses: responses, defaultResponse: [0x69, 0x85]))
        await #expect(throws: CardError.unexpectedStatus(command: "GET PROCESSING OPTIONS", statusWord: 0x6985)) {
            try await profile.read(from: channel)
        }
        let sent = await channel.sent
        #expect(sent.contains(Section81.exchanges[2].command))
        #expect(sent.contains([0x80, 0xA8, 0x00, 0x00, 0x02, 0x83, 0x00, 0x00]))  // the empty-data retry
    }

    @Test func gpoRetryWithEmptyDataSucceeds() async throws {
        var responses = Dictionary(uniqueKeysWithValues: Section81.exchanges.map { ($0.command, $0.response) })
        let gpo = Section81.exchanges[2]
        responses[gpo.command] = [0x67, 0x00]
        responses[[0x80, 0xA8, 0x00, 0x00, 0x02, 0x83, 0x00, 0x00]] = gpo.response
        let data = try await profile.read(from: ImageCardChannel(ScriptedCardImage(responses: responses)))
        expectSection81Person(data)
    }

    @Test func malformedPPSEFallsBackToPSEThenKnownAIDs() async throws {
        var responses = Dictionary(uniqueKeysWithValues: Section81.exchanges.map { ($0.command, $0.response) })
        responses[PBOCCommands.selectPPSE] = [0x6F, 0x05, 0x84, 0x09, 0x90, 0x00]  // truncated FCI
        let channel = ImageCardChannel(ScriptedCardImage(responses: responses, defaultResponse: [0x6A, 0x82]))
        expectSection81Person(try await profile.read(from: channel))
        #expect(
            await channel.sent.prefix(3) == [PBOCCommands.selectPPSE, PBOCCommands.selectPSE, PBOCCommands.selectDebit])
    }

    @Test func noPANIsMalformedData() async throws {
        let image = PBOCCardImage(variant: [.track2Only])
        var responses: [[UInt8]: [UInt8]] = [:]
        let probe = ImageCardChannel(image)
        _ = try await profile.read(from: probe)
        for exchange in await probe.exchanges { responses[exchange.command] = exchange.response }
        // Replace record 1 (with 57) by one without any PAN source.
        responses[[0x00, 0xB2, 0x01, 0x0C, 0x00]] = [0x70, 0x04, 0x9F, 0x62, 0x01, 0x00, 0x90, 0x00]
        await #expect(throws: CardError.malformedData(context: "no PAN: none of tags 5A, 57, 9F6B")) {
            try await profile.read(from: ImageCardChannel(ScriptedCardImage(responses: responses)))
        }
    }

    @Test func directoryPriorityOrdersCandidates() async throws {
        // PPSE lists e-cash (priority 2) before debit (priority 1): debit is selected first.
        let ppse =
            BERTLV(
                tag: 0x6F,
                children: [
                    BERTLV(tag: 0x84, value: PBOCProfile.ppseName),
                    BERTLV(
                        tag: 0xA5,
                        children: [
                            BERTLV(
                                tag: 0xBF0C,
                                children: [
                                    BERTLV(
                                        tag: 0x61,
                                        children: [
                                            BERTLV(tag: 0x4F, value: PBOCProfile.knownAIDs[3]),
                                            BERTLV(tag: 0x87, value: [0x02]),
                                        ]),
                                    BERTLV(
                                        tag: 0x61,
                                        children: [
                                            BERTLV(tag: 0x4F, value: PBOCProfile.knownAIDs[0]),
                                            BERTLV(tag: 0x87, value: [0x01]),
                                        ]),
                                ])
                        ]),
                ]
            ).encoded + [0x90, 0x00]
        var responses = Dictionary(uniqueKeysWithValues: Section81.exchanges.map { ($0.command, $0.response) })
        responses[PBOCCommands.selectPPSE] = ppse
        let channel = ImageCardChannel(ScriptedCardImage(responses: responses, defaultResponse: [0x6A, 0x82]))
        _ = try await profile.read(from: channel)
        #expect(await channel.sent[1] == PBOCCommands.selectDebit)
    }

    // MARK: Pieces

    @Test func pdolFillersFollowCardsMd13() {
        let dol = DataObjectList(entries: [
            .init(tag: 0x9F66, length: 4), .init(tag: 0x9F02, length: 6), .init(tag: 0x9F03, length: 6),
            .init(tag: 0x9F1A, length: 2), .init(tag: 0x95, length: 5), .init(tag: 0x5F2A, length: 2),
            .init(tag: 0x9A, length: 3), .init(tag: 0x9C, length: 1), .init(tag: 0x9F37, length: 4),
            .init(tag: 0x9F4E, length: 2),
        ])
        let data = dol.build(value: profile.pdolValue(for:length:))
        // One group per entry: TTQ, amount, other amount, country, TVR, currency, date, type, UN, unknown → zeros.
        let expected = [UInt8](hex: "26000000 000000000001 000000000000 0156 0000000000 0156 220501 00 11223344 0000")
        #expect(data == expected)
        #expect(PBOCProfile().pdolValue(for: 0x9F37, length: 4)?.bytes.count == 4)
    }

    @Test func bcdAndTrack2Decoding() throws {
        #expect(try PBOCProfile.bcdDigits([0x62, 0x99, 0x01, 0x4F], allowPadding: true) == "6299014")
        #expect(throws: CardDataError(.invalidBCD)) { try PBOCProfile.bcdDigits([0x62, 0x4F], allowPadding: false) }
        #expect(throws: CardDataError(.invalidBCD)) { try PBOCProfile.bcdDigits([0x6F, 0x12], allowPadding: true) }
        #expect(throws: CardDataError(.invalidBCD)) { try PBOCProfile.bcdDigits([0x6A], allowPadding: true) }
        let track2 = try PBOCProfile.parseTrack2([UInt8](hex: "62 12 34 56 78 90 12 34 D2 81 22 01 00")!, tag: 0x57)
        #expect(track2.pan == "6212345678901234")
        #expect(track2.expiry == CardExpiry(year: 2028, month: 12))
        #expect(throws: CardError.self) { try PBOCProfile.parseTrack2([0x62, 0x12, 0x34], tag: 0x57) }
        #expect(throws: CardError.self) { try PBOCProfile.parseTrack2([0xD2, 0x81], tag: 0x57) }
    }

    @Test func descriptionIsMasked() async throws {
        let data = try await profile.read(from: ReplayCardChannel(Section81.exchanges))
        let text = "\(data) \(String(reflecting: data))"
        #expect(!text.contains("6299999900000000014"))
        #expect(!text.contains("110101194605121231"))
        #expect(!text.contains("王小测"))
        #expect(text.contains("629999*********0014"))
        #expect(text.contains("王*测"))
    }

    static func range(of needle: [UInt8], in haystack: [UInt8]) -> Range<Int>? {
        guard needle.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - needle.count) where Array(haystack[start..<(start + needle.count)]) == needle
        {
            return start..<(start + needle.count)
        }
        return nil
    }
}

enum PBOCCommands {
    static let selectPPSE = [UInt8](hex: "00 A4 04 00 0E 32 50 41 59 2E 53 59 53 2E 44 44 46 30 31 00")!
    static let selectPSE = [UInt8](hex: "00 A4 04 00 0E 31 50 41 59 2E 53 59 53 2E 44 44 46 30 31 00")!
    static let selectDebit = [UInt8](hex: "00 A4 04 00 08 A0 00 00 03 33 01 01 01 00")!
}
