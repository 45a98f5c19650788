import SmartCard
import Testing

@Suite("GB 18030 card text")
struct CardTextTests {
    @Test func decodesTheSyntheticName() {
        #expect(CardText.decodeGB18030([0xCD, 0xF5, 0xD0, 0xA1, 0xB2, 0xE2]) == "王小测")
        #expect(CardText.encodeGB18030("王小测") == [0xCD, 0xF5, 0xD0, 0xA1, 0xB2, 0xE2])
        #expect(CardText.encodeGB18030("社会保障") == [0xC9, 0xE7, 0xBB, 0xE1, 0xB1, 0xA3, 0xD5, 0xCF])  // cards.md §3.1
    }

    @Test func fourByteSequences() {
        // U+0080 is the first GB 18030 four-byte code; U+20000 lies in the supplementary planes.
        #expect(CardText.decodeGB18030([0x81, 0x30, 0x81, 0x30]) == "\u{80}")
        #expect(CardText.encodeGB18030("𠀀") == [0x95, 0x32, 0x82, 0x36])
    }

    @Test func invalidBytesGiveNil() {
        #expect(CardText.decodeGB18030([0xCD, 0xF5, 0xD0]) == nil)  // half a character
        #expect(CardText.decodePadded([0xFE, 0x00]) == nil)
    }

    @Test func paddingIsStrippedAndASCIIStaysASCII() {
        let name: [UInt8] = [0xCD, 0xF5, 0xD0, 0xA1, 0xB2, 0xE2]
        #expect(CardText.decodePadded(name + [UInt8](repeating: 0x00, count: 20)) == "王小测")
        #expect(CardText.decodePadded(name + [UInt8](repeating: 0x20, count: 20)) == "王小测")
        #expect(CardText.decodePadded(Array("WANG XIAOCE   ".utf8)) == "WANG XIAOCE")
        #expect(CardText.decodePadded(Array("  LI".utf8) + [0xFF, 0xFF]) == "LI")
        #expect(CardText.decodePadded([0x00, 0x00]) == nil)
        #expect(CardText.decodePadded([]) == nil)
        #expect(CardText.decodePadded([0x41, 0x07, 0x42]) == nil)  // control character inside
    }
}
