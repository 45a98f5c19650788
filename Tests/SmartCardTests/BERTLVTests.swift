import KioskTestSupport
import SmartCard
import Testing

@Suite("BER-TLV parsing (EMV Book 3 Annex B)")
struct BERTLVTests {
    func bytes(_ hex: String) -> [UInt8] { [UInt8](hex: hex)! }

    func parse(_ hex: String) throws(CardDataError) -> [BERTLV] { try BERTLV.parse(bytes(hex)) }

    func code(_ hex: String) -> CardDataError.Code? {
        do {
            _ = try parse(hex)
            return nil
        } catch {
            return error.code
        }
    }

    // MARK: Tags

    @Test func tagDescriptionIsUpperCaseHex() {
        #expect(BERTag(0x9F61).description == "9F61")
        #expect(BERTag(0x5A).description == "5A")
        #expect(BERTag(0xBF0C).bytes == [0xBF, 0x0C])
        #expect(BERTag(0x0A).description == "0A")
    }

    @Test func tagClassAndConstructedBit() {
        #expect(BERTag(0x6F).isConstructed)
        #expect(BERTag(0xBF0C).isConstructed)
        #expect(!BERTag(0x9F61).isConstructed)
        #expect(BERTag(0x9F61).tagClass == 2)
        #expect(BERTag(0x5F20).tagClass == 1)
    }

    @Test func tagFromBytesAcceptsOnlyOneWellFormedTag() {
        #expect(BERTag(bytes: [0x9F, 0x61]) == 0x9F61)
        #expect(BERTag(bytes: [0x5A]) == 0x5A)
        #expect(BERTag(bytes: [0x9F]) == nil)  // continuation byte missing
        #expect(BERTag(bytes: [0x5A, 0x01]) == nil)  // two tags' worth
        #expect(BERTag(bytes: [0xDF, 0x81, 0x01]) == 0xDF8101)
    }

    // MARK: Good input

    @Test func primitiveObjects() throws {
        let objects = try parse("5A 02 12 34  9F 62 01 00")
        #expect(objects.map(\.tag) == [0x5A, 0x9F62])
        #expect(objects[0].value == [0x12, 0x34])
        #expect(objects[1].value == [0x00])
        #expect(objects[0].children.isEmpty)
    }

    @Test func multiByteTags() throws {
        // Three-byte tag DF 81 01 (b8 set on the middle byte continues the tag).
        let objects = try parse("DF 81 01 01 AA  9F 61 00")
        #expect(objects.map(\.tag) == [0xDF8101, 0x9F61])
        #expect(objects[1].value.isEmpty)
    }

    @Test func longFormLengths() throws {
        let value81 = [UInt8](repeating: 0x41, count: 0x90)
        let value82 = [UInt8](repeating: 0x42, count: 0x0123)
        let buffer = [0x50, 0x81, 0x90] + value81 + [0x9F, 0x0B, 0x82, 0x01, 0x23] + value82
        let objects = try BERTLV.parse(buffer)
        #expect(objects.count == 2)
        #expect(objects[0].value == value81)
        #expect(objects[1].value == value82)
        // 81 with a short length is legal BER, just not minimal.
        #expect(try parse("5A 81 01 77").first?.value == [0x77])
        #expect(try parse("5A 83 00 00 01 77").first?.value == [0x77])
    }

    @Test func constructedTemplatesAreParsedRecursively() throws {
        let fci = try parse("6F 10 84 02 AA BB A5 0A BF 0C 07 61 05 4F 03 A0 00 01")
        #expect(fci.count == 1)
        #expect(fci[0].children.map(\.tag) == [0x84, 0xA5])
        #expect(fci.object(at: [0x6F, 0xA5, 0xBF0C, 0x61, 0x4F])?.value == [0xA0, 0x00, 0x01])
        #expect(fci.first(tag: 0x4F)?.value == [0xA0, 0x00, 0x01])
        #expect(fci[0].first(tag: 0x61)?.children.count == 1)
        #expect(fci[0].child(0xA5) != nil)
        #expect(fci[0].child(0x4F) == nil)  // not a direct child
        #expect(fci.object(at: [0x6F, 0x4F]) == nil)
        #expect(fci.object(at: []) == nil)
    }

    @Test func firstSearchesDepthFirstInOrder() throws {
        let objects = try parse("70 05 61 03 50 01 41  50 01 42")
        #expect(objects.first(tag: 0x50)?.value == [0x41])
        #expect(objects.all(tag: 0x50).map(\.value) == [[0x41], [0x42]])
    }

    @Test func paddingBetweenObjectsIsSkipped() throws {
        let objects = try parse("00 00 5A 01 11 FF FF 00 70 05 00 57 01 22 FF 00")
        #expect(objects.map(\.tag) == [0x5A, 0x70])
        #expect(objects[1].children.map(\.tag) == [0x57])
        #expect(try parse("").isEmpty)
        #expect(try parse("00 FF 00").isEmpty)
    }

    @Test func encodingRoundTrips() throws {
        let template = BERTLV(
            tag: 0x70,
            children: [
                BERTLV(tag: 0x5A, value: [0x62, 0x99]),
                BERTLV(tag: 0x9F0B, value: [UInt8](repeating: 0x20, count: 200)),
            ])
        #expect(Array(template.encoded.prefix(3)) == [0x70, 0x81, 0xD0])  // 4 + (2 + 2 + 200) bytes
        #expect(try BERTLV.parse(template.encoded) == [template])
        #expect(BERTLV.encodeLength(0x7F) == [0x7F])
        #expect(BERTLV.encodeLength(0x80) == [0x81, 0x80])
        #expect(BERTLV.encodeLength(0x100) == [0x82, 0x01, 0x00])
        #expect(BERTLV.encodeLength(0x10000) == [0x83, 0x01, 0x00, 0x00])
    }

    @Test func descriptionShowsTagsAndLengthsOnly() throws {
        let objects = try parse("70 04 5A 02 62 99")
        #expect(objects[0].description == "70[5A(2)]")
    }

    @Test func parseSingleChecksTheTemplate() throws {
        #expect(try BERTLV.parseSingle(bytes("70 00 00"), expectedTag: 0x70).tag == 0x70)
        #expect(throws: CardDataError(.unexpectedTemplate)) {
            try BERTLV.parseSingle(bytes("77 00"), expectedTag: 0x70)
        }
        #expect(throws: CardDataError(.unexpectedTemplate)) { try BERTLV.parseSingle(bytes("70 00 70 00")) }
        #expect(throws: CardDataError(.unexpectedTemplate)) { try BERTLV.parseSingle([]) }
    }

    // MARK: Bad input

    @Test func truncatedTag() {
        #expect(code("9F") == .truncatedTag)
        #expect(code("5A 01 11 DF 81") == .truncatedTag)
    }

    @Test func tagLongerThanFourBytes() {
        #expect(code("DF 81 82 83 84 01 00") == .tagTooLong)
    }

    @Test func truncatedLength() {
        #expect(code("5A") == .truncatedLength)
        #expect(code("5A 81") == .truncatedLength)
        #expect(code("5A 82 01") == .truncatedLength)
        #expect(code("5A 83 00 01") == .truncatedLength)
    }

    @Test func indefiniteLengthIsRejected() {
        #expect(code("70 80 5A 01 11 00 00") == .indefiniteLength)
    }

    @Test func lengthFormsBeyond83AreRejected() {
        #expect(code("5A 84 00 00 00 01 11") == .unsupportedLengthForm)
        #expect(code("5A FF") == .unsupportedLengthForm)
    }

    @Test func valueBeyondBuffer() {
        #expect(code("5A 05 11 22") == .valueBeyondBuffer)
        #expect(code("5A 82 FF FF 00") == .valueBeyondBuffer)
        #expect(code("5A 83 FF FF FF 00") == .valueBeyondBuffer)
        // The inner length fits the outer buffer but not the template it sits in.
        #expect(code("70 03 5A 05 11 22 33 44") == .valueBeyondBuffer)
    }

    @Test func errorsCarryOffsetAndTag() {
        do {
            _ = try parse("70 06 5A 01 11 57 05 22")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .valueBeyondBuffer)
            #expect(error.offset == 5)  // absolute offset of the 57 inside the template
            #expect(error.tag == 0x57)
            #expect(error.description == "value extends beyond the buffer (tag 57) at offset 5")
        }
    }

    @Test func nestingDepthIsLimited() {
        // 20 nested empty-ish templates: 70 { 70 { … } }.
        var buffer: [UInt8] = []
        for _ in 0..<20 { buffer = [0x70, UInt8(buffer.count)] + buffer }
        #expect(throws: CardDataError(.nestingTooDeep)) { try BERTLV.parse(buffer) }
    }

    @Test func errorsCompareOnCodeOnly() {
        #expect(CardDataError(.truncatedTag, offset: 1) == CardDataError(.truncatedTag, offset: 7, tag: 0x5A))
        #expect(CardDataError(.truncatedTag) != CardDataError(.truncatedLength))
    }

    // MARK: Drip feed and noise

    /// Every prefix of a valid §8.1 record either parses or throws a ``CardDataError``; it never traps.
    /// Prefixes that cut an object in half must throw.
    @Test func everyTruncationOfARecordThrowsOrParses() throws {
        let record = try #require(Section81.exchanges.first { $0.command == [0x00, 0xB2, 0x01, 0x0C, 0x00] })
        let data = Array(record.response.dropLast(2))
        #expect(try BERTLV.parse(data).count == 1)
        for length in 0..<data.count {
            let prefix = Array(data.prefix(length))
            do {
                let objects = try BERTLV.parse(prefix)
                #expect(objects.isEmpty, "prefix of \(length) bytes parsed as \(objects)")  // only the empty prefix
            } catch {
                #expect(length > 0)
            }
        }
    }

    /// Every truncation of every §8.1 response (and of the record split at every point and re-joined with
    /// padding) stays inside the error type.
    @Test func everyTruncationOfEveryTranscriptResponse() {
        for exchange in Section81.exchanges {
            let data = Array(exchange.response.dropLast(2))
            for length in 0...data.count {
                _ = try? BERTLV.parse(Array(data.prefix(length)))
                // Split at every boundary with padding inserted between the halves: still parses or throws.
                _ = try? BERTLV.parse(Array(data.prefix(length)) + [0x00, 0xFF] + Array(data.dropFirst(length)))
            }
        }
    }

    @Test func randomBytesNeverTrap() {
        var generator = SplitMix64(seed: 0x5EED)
        for _ in 0..<5_000 {
            let count = Int(generator.next() % 64)
            let buffer = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            _ = try? BERTLV.parse(buffer)
            _ = try? DataObjectList(parsing: buffer)
            _ = try? ApplicationFileLocator(parsing: buffer)
        }
    }
}
