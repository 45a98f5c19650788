public import KioskCore
public import SmartCard

/// A virtual social security card 社会保障卡 (SSSE with EF05 and EF06), optionally carrying a PBOC bank
/// application as 3rd-generation cards do.
///
/// With the defaults it answers byte for byte as the transcript in cards.md §8.2: 王小测, social security number
/// `110101194605121231`, card number `123456789`, spec `2.00`, region 110100, issued 2018-06-01, valid until
/// 2028-06-01, male, 汉, born 1946-05-12 in 110101. All of that is fictitious.
///
/// Commands it answers (anything else: `6D 00`, or the bank application's answer when there is one):
///
/// - SELECT `00 A4 04 00` SSSE name → FCI `6F { 84 name, A5 { 9F0C 86 01 alg } }`; another name → the bank
///   application, else `6A 82`.
/// - SELECT `00 A4 02 00` / `00 A4 00 00` `EF 05` or `EF 06` (SSSE selected) → `90 00`.
/// - READ RECORD `00 B2 P1 P2`: P2 `00` record identifier P1 in the current EF, `04` record number P1; `28`/`2C`
///   EF05 by SFI, `30`/`34` EF06 by SFI. Each record is `tag len value`; no such record `6A 83`.
/// - GET RESPONSE after a `61 XX` (``Variant/t0GetResponse``).
public struct SocialSecurityCardImage: CardImage {
    /// Ways the card deviates from §8.2 (its negative variants, and more).
    public struct Variant: OptionSet, Sendable, Hashable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        /// 1st-generation card: no name extension, READ RECORD 4E answers `6A 83` (and the EF06 records are
        /// numbered without it).
        public static let noNameExtension = Variant(rawValue: 1 << 0)
        /// READ RECORD answers `6C XX` unless Le is exactly the record length, and the card number field is 16
        /// characters long (record length `12`), so a reader asking for 9 gets `6C 12` once.
        public static let wrongLe = Variant(rawValue: 1 << 1)
        /// SELECT SSSE answers `61 1B`; the FCI comes with GET RESPONSE `00 C0 00 00 1B`.
        public static let t0GetResponse = Variant(rawValue: 1 << 2)
        /// Spec 3.00 card without a PSAM: every READ RECORD in EF05 and EF06 answers `69 82`.
        public static let needsPSAM = Variant(rawValue: 1 << 3)
        /// Only EF06 answers `69 82`; EF05 (card number) stays readable.
        public static let holderDataNeedsPSAM = Variant(rawValue: 1 << 4)
        /// READ RECORD by record identifier (P2 low bits `000`) answers `6A 86`; record numbers work.
        public static let recordNumberOnly = Variant(rawValue: 1 << 5)
        /// SELECT EF answers `6A 82`: the files are reachable by SFI only.
        public static let sfiOnly = Variant(rawValue: 1 << 6)
        /// Tag 0D holds 1946-05-21, not the birth date inside the social security number.
        public static let birthDateMismatch = Variant(rawValue: 1 << 7)
        /// Tag 0A holds `2` (female) although the number's 17th digit is odd.
        public static let sexMismatch = Variant(rawValue: 1 << 8)

        public static let allCases: [(name: String, variant: Variant)] = [
            ("noNameExtension", .noNameExtension), ("wrongLe", .wrongLe), ("t0GetResponse", .t0GetResponse),
            ("needsPSAM", .needsPSAM), ("holderDataNeedsPSAM", .holderDataNeedsPSAM),
            ("recordNumberOnly", .recordNumberOnly), ("sfiOnly", .sfiOnly), ("birthDateMismatch", .birthDateMismatch),
            ("sexMismatch", .sexMismatch),
        ]
    }

    /// `3B 8A 80 01 "KIOSKSSC01" 3F`: contactless-style ATR offering T=0 and T=1, TCK included. (No social security
    /// card ATR is public, cards.md §6.)
    public static let defaultATR: [UInt8] = {
        let body: [UInt8] = [0x8A, 0x80, 0x01] + Array("KIOSKSSC01".utf8)
        return [0x3B] + body + [body.reduce(0, ^)]
    }()

    /// The §8.2 卡识别码: region 110100, RID D156000005, serial, `FF` padding.
    public static let defaultCardIdentificationCode: [UInt8] = [
        0x11, 0x01, 0x00, 0xD1, 0x56, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x01, 0xFF, 0xFF, 0xFF, 0xFF,
    ]

    public var atr: [UInt8]
    public var cardIdentificationCode: [UInt8]
    public var cardType: String
    public var specVersion: String
    public var initialisingInstitution: [UInt8]
    public var issueDate: CalendarDate
    public var validUntil: CalendarDate
    public var cardNumber: String
    public var socialSecurityNumber: String
    public var name: String
    public var sex: String
    public var ethnicity: UInt8
    public var birthplace: String
    public var birthDate: CalendarDate
    /// Algorithm indicator in the FCI (`9F0C 03 86 01 xx`); `nil` leaves `A5` out.
    public var algorithm: UInt8?
    public var variant: Variant
    /// A bank application on the same card (3rd-generation cards are UnionPay debit cards).
    public var bankApplication: PBOCCardImage?

    private enum Current { case none, ssse, ef05, ef06, bank }
    private var current = Current.none
    private var pendingResponse: [UInt8] = []

    public init(
        cardNumber: String = "123456789", socialSecurityNumber: String = "110101194605121231", name: String = "王小测",
        sex: String = "1", ethnicity: UInt8 = 0x01, birthplace: String = "110101",
        birthDate: CalendarDate = CalendarDate(year: 1946, month: 5, day: 12)!, specVersion: String = "2.00",
        cardType: String = "3", issueDate: CalendarDate = CalendarDate(year: 2018, month: 6, day: 1)!,
        validUntil: CalendarDate = CalendarDate(year: 2028, month: 6, day: 1)!,
        cardIdentificationCode: [UInt8] = SocialSecurityCardImage.defaultCardIdentificationCode,
        initialisingInstitution: [UInt8] = [0x11] + [UInt8](repeating: 0, count: 11), algorithm: UInt8? = 0x01,
        variant: Variant = [], bankApplication: PBOCCardImage? = nil, atr: [UInt8] = SocialSecurityCardImage.defaultATR
    ) {
        self.cardNumber = cardNumber
        self.socialSecurityNumber = socialSecurityNumber
        self.name = name
        self.sex = sex
        self.ethnicity = ethnicity
        self.birthplace = birthplace
        self.birthDate = birthDate
        self.specVersion = specVersion
        self.cardType = cardType
        self.issueDate = issueDate
        self.validUntil = validUntil
        self.cardIdentificationCode = cardIdentificationCode
        self.initialisingInstitution = initialisingInstitution
        self.algorithm = algorithm
        self.variant = variant
        self.bankApplication = bankApplication
        self.atr = atr
    }

    /// A spec-3.00 card that refuses EF05 and EF06 without a PSAM and carries the §8.1 PBOC debit application.
    public static func thirdGenerationWithoutPSAM(
        bankApplication: PBOCCardImage = PBOCCardImage(), extra: Variant = []
    ) -> SocialSecurityCardImage {
        SocialSecurityCardImage(specVersion: "3.00", variant: extra.union(.needsPSAM), bankApplication: bankApplication)
    }

    public mutating func reset() {
        current = .none
        pendingResponse = []
        bankApplication?.reset()
    }

    // MARK: Responding

    public mutating func respond(to command: [UInt8]) -> [UInt8] {
        guard command.count >= 4 else { return Self.status(0x6700) }
        let (cla, ins, p1, p2) = (command[0], command[1], command[2], command[3])
        if cla == 0x00, ins == 0xC0, !pendingResponse.isEmpty {
            let answer = pendingResponse + [0x90, 0x00]
            pendingResponse = []
            return answer
        }
        pendingResponse = []
        let body = Array(command.dropFirst(4))
        switch (cla, ins) {
        case (0x00, 0xA4) where p1 == 0x04:
            let lc = body.first.map(Int.init) ?? 0
            let name = Array(body.dropFirst().prefix(lc))
            if name == SocialSecurityProfile.ssseName {
                current = .ssse
                let fci = self.fci
                if variant.contains(.t0GetResponse) {
                    pendingResponse = fci
                    return [0x61, UInt8(fci.count)]
                }
                return fci + [0x90, 0x00]
            }
            return forwardToBank(command)
        case (0x00, 0xA4) where (p1 == 0x02 || p1 == 0x00) && current != .bank && current != .none:
            guard body.count >= 3, body[0] == 0x02, body[1] == 0xEF else { return Self.status(0x6A82) }
            guard !variant.contains(.sfiOnly) else { return Self.status(0x6A82) }
            switch body[2] {
            case 0x05: current = .ef05
            case 0x06: current = .ef06
            default: return Self.status(0x6A82)
            }
            return Self.status(0x9000)
        case (0x00, 0xB2) where current != .bank && current != .none:
            return readRecord(p1: p1, p2: p2, le: command.count == 5 ? Int(command[4]) : nil)
        default:
            return forwardToBank(command)
        }
    }

    private mutating func forwardToBank(_ command: [UInt8]) -> [UInt8] {
        guard bankApplication != nil else {
            if command.count >= 2, command[1] == 0xA4 { return Self.status(0x6A82) }
            return Self.status(0x6D00)
        }
        current = .bank
        return bankApplication!.respond(to: command)
    }

    private func readRecord(p1: UInt8, p2: UInt8, le: Int?) -> [UInt8] {
        let file: Current
        switch p2 >> 3 {
        case 0: file = current
        case 5: file = .ef05
        case 6: file = .ef06
        default: return Self.status(0x6A82)
        }
        guard file == .ef05 || file == .ef06 else { return Self.status(0x6986) }  // no current EF
        let byNumber = p2 & 0x07 == 0x04
        guard byNumber || p2 & 0x07 == 0x00 else { return Self.status(0x6A86) }
        if !byNumber && variant.contains(.recordNumberOnly) { return Self.status(0x6A86) }
        if variant.contains(.needsPSAM) || (file == .ef06 && variant.contains(.holderDataNeedsPSAM)) {
            return Self.status(0x6982)
        }
        let records = file == .ef05 ? ef05Records : ef06Records
        let record: [UInt8]?
        if byNumber {
            record = (1...records.count).contains(Int(p1)) ? records[Int(p1) - 1] : nil
        } else {
            record = records.first { $0.first == p1 }
        }
        guard let record else { return Self.status(0x6A83) }
        if variant.contains(.wrongLe), let le, (le == 0 ? 256 : le) != record.count {
            return [0x6C, UInt8(record.count)]
        }
        return record + [0x90, 0x00]
    }

    private static func status(_ sw: UInt16) -> [UInt8] { [UInt8(sw >> 8), UInt8(sw & 0xFF)] }
}

// MARK: Card content

extension SocialSecurityCardImage {
    var fci: [UInt8] {
        var children = [BERTLV(tag: .dfName, value: SocialSecurityProfile.ssseName)]
        if let algorithm {
            children.append(
                BERTLV(tag: .fciProprietaryTemplate, children: [BERTLV(tag: 0x9F0C, value: [0x86, 0x01, algorithm])]))
        }
        return BERTLV(tag: .fciTemplate, children: children).encoded
    }

    static func record(_ tag: UInt8, _ value: [UInt8]) -> [UInt8] { [tag, UInt8(value.count)] + value }

    static func ascii(_ text: String, padTo length: Int) -> [UInt8] {
        let bytes = Array(text.utf8)
        return bytes + [UInt8](repeating: 0x00, count: max(0, length - bytes.count))
    }

    static func bcdDate(_ date: CalendarDate) -> [UInt8] {
        let year = String(date.year)
        let text = String(repeating: "0", count: max(0, 4 - year.count)) + year
            + PBOCCardImage.twoDigits(date.month) + PBOCCardImage.twoDigits(date.day)
        return PBOCCardImage.bcd(text, digits: 8)
    }

    /// EF05 records 1–7 (tags 01–07).
    var ef05Records: [[UInt8]] {
        let cardNumberField = variant.contains(.wrongLe) ? Self.ascii(cardNumber, padTo: 16) : Array(cardNumber.utf8)
        return [
            Self.record(0x01, cardIdentificationCode),
            Self.record(0x02, Array(cardType.utf8)),
            Self.record(0x03, Array(specVersion.utf8)),
            Self.record(0x04, initialisingInstitution),
            Self.record(0x05, Self.bcdDate(issueDate)),
            Self.record(0x06, Self.bcdDate(validUntil)),
            Self.record(0x07, cardNumberField),
        ]
    }

    /// EF06 records in record-number order: 08, 09, 4E (spec 2.0+), 0A, 0B, 0C, 0D.
    var ef06Records: [[UInt8]] {
        var nameBytes = CardText.encodeGB18030(name) ?? Array(name.utf8)
        var extensionBytes: [UInt8] = []
        if nameBytes.count > 30 {
            extensionBytes = Array(nameBytes.dropFirst(30))
            nameBytes = Array(nameBytes.prefix(30))
        }
        nameBytes += [UInt8](repeating: 0x00, count: 30 - nameBytes.count)
        extensionBytes += [UInt8](repeating: 0x00, count: max(0, 20 - extensionBytes.count))
        let birth = variant.contains(.birthDateMismatch) ? CalendarDate(year: 1946, month: 5, day: 21)! : birthDate
        var records = [
            Self.record(0x08, Array(socialSecurityNumber.utf8)),
            Self.record(0x09, nameBytes),
        ]
        if !variant.contains(.noNameExtension) { records.append(Self.record(0x4E, extensionBytes)) }
        records += [
            Self.record(0x0A, Array((variant.contains(.sexMismatch) ? "2" : sex).utf8)),
            Self.record(0x0B, [ethnicity]),
            Self.record(0x0C, PBOCCardImage.bcd(birthplace, digits: 6, padWithF: true)),
            Self.record(0x0D, Self.bcdDate(birth)),
        ]
        return records
    }
}
