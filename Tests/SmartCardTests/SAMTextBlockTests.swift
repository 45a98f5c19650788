import Foundation
import KioskCore
import SmartCard
import Testing
import VirtualCard

/// The 256-byte text block (cards.md §4.3) in its four layouts, and the number checks of §5.
@Suite struct SAMTextBlockTests {
    /// The text block of cards.md §8.3, as printed there (16 bytes a line).
    static let section8_3TextBlock = SAMFrameCodecTests.hex(
        """
        8B 73 0F 5C 4B 6D 20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00 31 00 \
        30 00 31 00 31 00 39 00 34 00 36 00 30 00 35 00 31 00 32 00 17 53 AC 4E 02 5E 1C 4E CE 57 3A 53 \
        4B 6D D5 8B E1 80 0C 54 31 00 F7 53 20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00 \
        20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00 31 00 31 00 30 00 \
        31 00 30 00 31 00 31 00 39 00 34 00 36 00 30 00 35 00 31 00 32 00 31 00 32 00 33 00 31 00 17 53 \
        AC 4E 02 5E 6C 51 89 5B 40 5C 1C 4E CE 57 06 52 40 5C 20 00 20 00 20 00 20 00 20 00 32 00 30 00 \
        31 00 36 00 30 00 31 00 30 00 31 00 7F 95 1F 67 20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00 \
        20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00
        """.replacingOccurrences(of: "\\\n", with: " ").replacingOccurrences(of: "\n", with: " "))

    @Test func theBuilderReproducesTheSection8_3Block() {
        #expect(Self.section8_3TextBlock.count == 256)
        #expect(SAMCardImage.wangXiaoce.textBlock == Self.section8_3TextBlock)
    }

    @Test func section8_3DecodesToWangXiaoce() throws {
        let data = try IDCardData(textBlock: Self.section8_3TextBlock)
        #expect(data.layout == .residentID)
        #expect(data.name == "王小测")
        #expect(data.sex == .male)
        #expect(data.ethnicity == Ethnicity(code: "01"))
        #expect(data.ethnicity?.name == "汉")
        #expect(data.birthDate == CalendarDate(year: 1946, month: 5, day: 12))
        #expect(data.address == "北京市东城区测试胡同1号")
        #expect(data.number == "110101194605121231")
        #expect(data.issuingAuthority == "北京市公安局东城分局")
        #expect(data.validFrom == CalendarDate(year: 2016, month: 1, day: 1))
        #expect(data.validTo == .longTerm("长期"))
        #expect(data.validTo.isLongTerm)
        #expect(data.numberProblem == nil)
        #expect(data.displayName == "王小测")
        #expect(data.travelPermitNumber == nil && data.englishName == nil && data.nationality == nil)
        #expect(data.identities() == [
            Identity(kind: .residentID, value: "110101194605121231", displayName: "王小测", isValidated: true)
        ])
    }

    @Test func descriptionIsMasked() throws {
        let data = try IDCardData(textBlock: Self.section8_3TextBlock)
        for text in ["\(data)", String(reflecting: data)] {
            #expect(!text.contains("110101194605121231"))
            #expect(!text.contains("王小测"))
            #expect(!text.contains("胡同"))
        }
        #expect("\(data)".contains("110***********1231"))
    }

    @Test func aWrongCheckDigitIsReportedAndNotValidated() throws {
        let card = SAMCardImage.residentID(
            name: "王小测", sex: "1", ethnicity: "01", birthDate: "19460512", address: "北京市东城区测试胡同1号",
            number: "110101194605121232", authority: "北京市公安局东城分局", validFrom: "20160101", validTo: "20360101")
        let data = try IDCardData(textBlock: card.textBlock)
        #expect(data.numberProblem == .residentID(.badCheckDigit(expected: "1")))
        #expect(!data.isNumberValid)
        #expect(data.validTo == .until(CalendarDate(year: 2036, month: 1, day: 1)!))
        let identities = data.identities()
        #expect(identities.count == 1)
        #expect(identities.first?.isValidated == false)
    }

    @Test func residencePermitLayoutJ() throws {
        let card = SAMCardImage.residencePermit(
            name: "陈测试", sex: "2", birthDate: "19940823", address: "北京市东城区测试路2号", number: "810000199408230021",
            authority: "北京市公安局东城分局", validFrom: "20200101", validTo: "20250101", travelPermitNumber: "H12345678",
            issueCount: "01")
        let data = try IDCardData(textBlock: card.textBlock)
        #expect(data.layout == .residencePermit)
        #expect(data.name == "陈测试")
        #expect(data.sex == .female)
        #expect(data.ethnicity == nil)
        #expect(data.birthDate == CalendarDate(year: 1994, month: 8, day: 23))
        #expect(data.number == "810000199408230021")
        #expect(data.travelPermitNumber == "H12345678")
        #expect(data.issueCount == "01")
        #expect(data.numberProblem == nil)
        #expect(data.identities().first?.kind == .residencePermit)
        #expect(data.identities().first?.isValidated == true)

        // A checksum-valid resident number on a J card is not a permit number.
        let wrongPrefix = SAMCardImage.residencePermit(
            name: "陈测试", sex: "2", birthDate: "19460512", address: "x", number: "110101194605121231",
            authority: "x", validFrom: "20200101", validTo: "20250101", travelPermitNumber: "H1", issueCount: "01")
        #expect(try IDCardData(textBlock: wrongPrefix.textBlock).numberProblem == .permitPrefix)
    }

    @Test func foreignerLayoutI2017() throws {
        let card = SAMCardImage.foreignPermanentResident2017(
            englishName: "SMITH, JOHN TEST", sex: "1", number: "USA310055031516", nationality: "USA",
            chineseName: "史密斯", validFrom: "20170601", validTo: "20270601", birthDate: "19550315",
            acceptingAuthorityCode: "3100")
        let data = try IDCardData(textBlock: card.textBlock)
        #expect(data.layout == .foreignPermanentResident2017)
        #expect(data.englishName == "SMITH, JOHN TEST")
        #expect(data.name == "史密斯")
        #expect(data.sex == .male)
        #expect(data.number == "USA310055031516")
        #expect(data.nationality == "USA")
        #expect(data.birthDate == CalendarDate(year: 1955, month: 3, day: 15))
        #expect(data.validTo == .until(CalendarDate(year: 2027, month: 6, day: 1)!))
        #expect(data.cardVersion == "01")
        #expect(data.acceptingAuthorityCode == "3100")
        #expect(data.numberProblem == nil)
        #expect(data.identities().first?.kind == .foreignPermanentResident)
        #expect(data.identities().first?.isValidated == true)

        let bad = SAMCardImage.foreignPermanentResident2017(
            englishName: "SMITH, JOHN", sex: "1", number: "USA310055031515", nationality: "USA", chineseName: "",
            validFrom: "20170601", validTo: "20270601", birthDate: "19550315", acceptingAuthorityCode: "3100")
        let badData = try IDCardData(textBlock: bad.textBlock)
        #expect(badData.numberProblem == .foreignerCheckDigit(expected: "6"))
        #expect(badData.name == nil)
        #expect(badData.displayName == "SMITH, JOHN")
    }

    /// Found by the `id-text` fuzzer (Fuzz/): a 2023 (`Y`) block whose two English-name fields hold only NULs and
    /// spaces gave `englishName == ""` instead of `nil`, unlike every other blank field.
    @Test func aBlankEnglishNameOnA2023CardIsNil() throws {
        let fuzzed: [UInt8] = [
            0x57, 0x6C, 0x4B, 0x6D, 0xD5, 0x8B, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00,
            0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x31, 0x00, 0x30, 0x00,
            0x31, 0x00, 0x39, 0x00, 0x38, 0x00, 0x30, 0x00, 0x30, 0x00, 0x31, 0x00, 0x30, 0x00, 0x31, 0x00,
            0x4B, 0x00, 0x48, 0x00, 0x41, 0x00, 0x4E, 0x00, 0x2C, 0x00, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20,
            0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00,
            0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00,
            0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00,
            0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x59, 0x00, 0x50, 0x00, 0x41, 0x00, 0x4B, 0x00,
        ]
        let data = try IDCardData(textBlock: fuzzed)
        #expect(data.layout == .foreignPermanentResident2023)
        #expect(data.englishName == nil)
        #expect(data.name == "汗测试        \u{1120}")
        #expect(data.number == "1")
        #expect(data.numberProblem == .foreignerFormat)
        var blankName = fuzzed
        blankName.replaceSubrange(0..<30, with: [UInt8](repeating: 0, count: 30))
        #expect(try IDCardData(textBlock: blankName).displayName == nil)
    }

    @Test func foreignerLayoutY2023WithALongEnglishName() throws {
        let longName = "KHAN, MUHAMMAD ABDULLAH TESTNAME SECONDPART EXT"  // 47 characters: cut at 46
        let card = SAMCardImage.foreignPermanentResident2023(
            chineseName: "汗测试", sex: "2", renewalCount: "00", birthDate: "19800101", englishName: longName,
            number: "931586198001010028", validFrom: "20230101", validTo: "20330101", nationality: "PAK",
            previousNumberLink: "PAK")
        let data = try IDCardData(textBlock: card.textBlock)
        #expect(data.layout == .foreignPermanentResident2023)
        #expect(data.name == "汗测试")
        #expect(data.englishName == String(longName.prefix(46)))
        #expect(data.sex == .female)
        #expect(data.renewalCount == "00")
        #expect(data.birthDate == CalendarDate(year: 1980, month: 1, day: 1))
        #expect(data.number == "931586198001010028")
        #expect(data.nationality == "PAK")
        #expect(data.previousNumberLink == "PAK")
        #expect(data.numberProblem == nil)
        #expect(data.identities().first?.kind == .foreignPermanentResident)

        let bad = SAMCardImage.foreignPermanentResident2023(
            chineseName: "汗测试", sex: "2", birthDate: "19800101", englishName: "KHAN", number: "931586198001010027",
            validFrom: "20230101", validTo: "20330101", nationality: "PAK")
        #expect(try IDCardData(textBlock: bad.textBlock).numberProblem == .foreignerCheckDigit(expected: "8"))
    }

    @Test func codesOutsideTheTablesKeepTheirRawValue() throws {
        let card = SAMCardImage.residentID(
            name: "测", sex: "7", ethnicity: "97", birthDate: "19460512", address: "x", number: "110101194605121231",
            authority: "x", validFrom: "20160101", validTo: "20161301")
        let data = try IDCardData(textBlock: card.textBlock)
        #expect(data.sex.rawValue == "7")
        #expect(data.sex.chineseName == nil)
        #expect(data.ethnicity?.code == "97")
        #expect(data.ethnicity?.name == nil)
        #expect(data.ethnicity?.displayName == "民族代码 97")
        #expect(data.validTo == .unreadable("20161301"))
        #expect(Ethnicity(code: "56").name == "基诺")
        #expect(Ethnicity(code: "00").name == nil)
    }

    @Test func unusableBlocksThrow() {
        #expect(throws: IDCardTextBlockError.wrongSize(255)) {
            try IDCardData(textBlock: [UInt8](repeating: 0x20, count: 255))
        }
        var builder = SAMTextBlockBuilder()
        builder.put("Q", at: 248, width: 2)
        #expect(throws: IDCardTextBlockError.unknownTypeFlag("Q")) { try IDCardData(textBlock: builder.bytes) }
        // An all-zero block (a module that returned nothing useful) decodes as a resident layout with no number.
        let zeros = try? IDCardData(textBlock: [UInt8](repeating: 0, count: 256))
        #expect(zeros?.identities() == [])
    }
}
