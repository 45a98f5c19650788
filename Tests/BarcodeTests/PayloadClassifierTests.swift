import Barcode
import KioskCore
import Testing

struct PayloadClassifierTests {
    let classifier = PayloadClassifier(printedCodePatterns: [.prefix("BJJKB:"), .urlHost("jkb.example.cn")])

    @Test func idNumbers() {
        #expect(
            classifier.classify("110101194605121231").identity
                == Identity(kind: .residentID, value: "110101194605121231", isValidated: true))
        #expect(classifier.classify(" 11010519491231002x\r\n").identity?.value == "11010519491231002X")
        #expect(classifier.classify("810000199408230021").identity?.kind == .residencePermit)
        #expect(classifier.classify("931586198001010028").identity?.kind == .foreignPermanentResident)
        #expect(
            classifier.classify("110101194605121232")
                == .invalidResidentID(masked: "110***********1232", reason: .badCheckDigit(expected: "1")))
        #expect(
            classifier.classify("110101194613121231")
                == .invalidResidentID(masked: "110***********1231", reason: .invalidBirthDate))
        if case .unrecognised = classifier.classify("11010119460512123") {} else { Issue.record("17 digits") }
        // A first-generation 15-digit number is converted to its 18 characters (the import does the same).
        #expect(
            classifier.classify("110101460512123").identity
                == Identity(kind: .residentID, value: "110101194605121231", isValidated: true))
        // 15 digits that are no valid number (month 13) are not an ID number at all.
        if case .unrecognised = classifier.classify("110101461312123") {} else { Issue.record("15 digits, month 13") }
    }

    /// Found by the `payload-classifier` fuzzer (Fuzz/): a scanned line whose sixth character is "6" with a combining
    /// mark (UTF-8 CD AC) had the shape of an ID number, and validating it trapped. It is now no ID number at all.
    @Test func aDigitWithACombiningMarkIsNoIDNumber() {
        let line = String(decoding: Array("931586".utf8) + [0xCD, 0xAC] + Array("198001010028".utf8), as: UTF8.self)
        #expect(classifier.classify(line) == .unrecognised(summary: "18 chars '9315…'"))
        #expect(classifier.classify(line).identity == nil)
        let fifteen = String(decoding: Array("1101014605121".utf8) + [0xCD, 0xAC] + Array("23".utf8), as: UTF8.self)
        #expect(classifier.classify(fifteen) == .unrecognised(summary: "15 chars '1101…'"))
    }

    @Test func hc1IsNotSupported() {
        #expect(classifier.classify("HC1:6BF+70") == .euDCC(length: 10))
        #expect(classifier.classify("hc1:6bf") == .euDCC(length: 7))
        #expect(classifier.classify("HC1:x").guidance?.zh == "本机暂不支持欧盟健康证书")
    }

    @Test func printedCodes() {
        let token = "BJJKB:Zx81kq0-secret"
        let payload = classifier.classify(token)
        #expect(payload.identity == Identity(kind: .printedCode, value: token, isValidated: false))
        #expect(payload.guidance == nil)
        #expect(!"\(payload)".contains("secret"))
        #expect("\(payload)" == "printed code 20 chars 'BJJK…'")
        #expect(classifier.classify("https://jkb.example.cn/q?t=abc").identity?.kind == .printedCode)
        #expect(classifier.classify("https://a.jkb.example.cn:443/q").identity?.kind == .printedCode)
        #expect(classifier.classify("https://jkb.example.cn@evil.example/q").identity == nil)
        #expect(classifier.classify("https://jkb.example.cn.evil.example/q").identity == nil)
        #expect(classifier.classify("BJJKB:").identity == nil)  // prefix alone
    }

    @Test func controlCharactersAndLengthNeverReachTheScreen() {
        let sneaky = "BJJKB:ab\u{1B}[2Jcd"
        #expect(classifier.classify(sneaky) == .unrecognised(summary: "14 chars 'BJJK…'"))
        #expect(classifier.classify("\u{202E}abc") == .unrecognised(summary: "4 chars '·abc'"))
        #expect(classifier.classify(String(repeating: "A", count: 5000)) == .tooLong(length: 5000))
        #expect(classifier.classify("hello").guidance == Guidance(zh: "无法识别此二维码", en: "Code not recognised"))
        #expect(ScannedText("110101194605121231").description == "18 chars '1101…'")
    }
}
