import KioskCore
import Testing

@Suite("Masking (DESIGN.md §4)")
struct MaskingTests {
    @Test func chineseNames() {
        #expect(Masking.name("张三明") == "张*明")
        #expect(Masking.name("王小测") == "王*测")
        #expect(Masking.name("王五") == "王*")
        #expect(Masking.name("欧阳春华") == "欧**华")
        #expect(Masking.name("李") == "*")
        #expect(Masking.name("") == "")
    }

    @Test func latinNames() {
        #expect(Masking.name("Wang Xiao Li") == "Wang *** Li")
        #expect(Masking.name("Wang Li") == "Wang *")
        #expect(Masking.name("WANG, LI") == "WANG *")
        #expect(Masking.name("WANG/XIAOLI") == "WANG *")
        #expect(Masking.name("  Wang Li  ") == "Wang *")
        #expect(Masking.name("Johannes Schmidt") == "Johannes *")
    }

    @Test func idNumbers() {
        #expect(Masking.idNumber("110101194605121231") == "110***********1231")
        #expect(Masking.idNumber("11010519491231002X") == "110***********002X")
        #expect(Masking.idNumber("1234567") == "*******")
    }

    @Test func pans() {
        #expect(Masking.pan("6299999900000000014") == "629999*********0014")
        #expect(Masking.pan("1234567890") == "**********")
    }

    @Test func identityDescriptionIsMasked() {
        let id = Identity(kind: .residentID, value: "110101194605121231", displayName: "王小测", isValidated: true)
        #expect(id.description == "resident-id:110***********1231")
        let pan = Identity(kind: .bankCardPAN, value: "6299999900000000014", isValidated: true)
        #expect(pan.description == "pan:629999*********0014")
        #expect(Identity(kind: .printedCode, value: "abc", isValidated: false).description == "code:***")
    }

    @Test func strongestFirstOrdersAndDeduplicates() {
        let pan = Identity(kind: .bankCardPAN, value: "6299999900000000014", isValidated: true)
        let badPAN = Identity(kind: .bankCardPAN, value: "6299999900000000015", isValidated: false)
        let id = Identity(kind: .residentID, value: "110101194605121231", isValidated: true)
        #expect([badPAN, pan, id, pan].strongestFirst() == [id, pan, badPAN])
    }
}
