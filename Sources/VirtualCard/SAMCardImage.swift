import SmartCard

/// What a card gives a SAM module on read (cards.md §4.2–4.3): the 256-byte UCS-2LE text block, the 1 024-byte WLT
/// photo, optionally the fingerprint block and the extra address. ``SAMModuleEmulator`` answers reads with it.
///
/// Build any person with ``residentID(name:sex:ethnicity:birthDate:address:number:authority:validFrom:validTo:)``
/// and its siblings, or take ``wangXiaoce``, the fictitious person of cards.md §8.3.
public struct SAMCardImage: Sendable, Hashable {
    /// Exactly 256 bytes.
    public var textBlock: [UInt8]
    /// WLT photo; zeros by default (no decoder ever sees it).
    public var photo: [UInt8]
    /// Fingerprint block for `30 10`; `nil` answers it with an empty fingerprint block.
    public var fingerprint: [UInt8]?
    /// Extra address 追加住址 for `30 03` (70 bytes UCS-2LE); `nil` answers SW3 `91` (no content).
    public var extraAddress: [UInt8]?

    public init(textBlock: [UInt8], photo: [UInt8] = [UInt8](repeating: 0, count: 1024), fingerprint: [UInt8]? = nil,
                extraAddress: [UInt8]? = nil) {
        precondition(textBlock.count == 256, "a SAM text block has 256 bytes, not \(textBlock.count)")
        self.textBlock = textBlock
        self.photo = photo
        self.fingerprint = fingerprint
        self.extraAddress = extraAddress
    }

    /// The `30 01` reply data: lengths `01 00 04 00`, text, photo.
    public var readReplyData: [UInt8] { SAMCardRecord(text: textBlock, photo: photo).replyData }

    /// The `30 10` reply data: three lengths, text, photo, fingerprint.
    public var readWithFingerprintReplyData: [UInt8] {
        SAMCardRecord(text: textBlock, photo: photo, fingerprint: fingerprint ?? []).replyData
    }

    /// 王小测 of cards.md §8.3: male, 汉, born 1946-05-12, 北京市东城区测试胡同1号, `110101194605121231`,
    /// 北京市公安局东城分局, valid 2016-01-01 to 长期; photo 1 024 zero bytes. The read reply's checksum is `B5`.
    public static let wangXiaoce = residentID(
        name: "王小测", sex: "1", ethnicity: "01", birthDate: "19460512", address: "北京市东城区测试胡同1号",
        number: "110101194605121231", authority: "北京市公安局东城分局", validFrom: "20160101", validTo: "长期")

    /// A resident ID card (type flag space).
    public static func residentID(
        name: String, sex: String, ethnicity: String, birthDate: String, address: String, number: String,
        authority: String, validFrom: String, validTo: String
    ) -> SAMCardImage {
        var block = SAMTextBlockBuilder()
        block.put(name, at: 0, width: 30)
        block.put(sex, at: 30, width: 2)
        block.put(ethnicity, at: 32, width: 4)
        block.put(birthDate, at: 36, width: 16)
        block.put(address, at: 52, width: 70)
        block.put(number, at: 122, width: 36)
        block.put(authority, at: 158, width: 30)
        block.put(validFrom, at: 188, width: 16)
        block.put(validTo, at: 204, width: 16)
        return SAMCardImage(textBlock: block.bytes)
    }

    /// A Hong Kong / Macau / Taiwan residence permit (type flag `J`).
    public static func residencePermit(
        name: String, sex: String, birthDate: String, address: String, number: String, authority: String,
        validFrom: String, validTo: String, travelPermitNumber: String, issueCount: String
    ) -> SAMCardImage {
        var block = SAMTextBlockBuilder()
        block.put(name, at: 0, width: 30)
        block.put(sex, at: 30, width: 2)
        block.put(birthDate, at: 36, width: 16)
        block.put(address, at: 52, width: 70)
        block.put(number, at: 122, width: 36)
        block.put(authority, at: 158, width: 30)
        block.put(validFrom, at: 188, width: 16)
        block.put(validTo, at: 204, width: 16)
        block.put(travelPermitNumber, at: 220, width: 18)
        block.put(issueCount, at: 238, width: 4)
        block.put("J", at: 248, width: 2)
        return SAMCardImage(textBlock: block.bytes)
    }

    /// A 2017 foreigner permanent residence card (type flag `I`).
    public static func foreignPermanentResident2017(
        englishName: String, sex: String, number: String, nationality: String, chineseName: String,
        validFrom: String, validTo: String, birthDate: String, cardVersion: String = "01",
        acceptingAuthorityCode: String
    ) -> SAMCardImage {
        var block = SAMTextBlockBuilder()
        block.put(englishName, at: 0, width: 120)
        block.put(sex, at: 120, width: 2)
        block.put(number, at: 122, width: 30)
        block.put(nationality, at: 152, width: 6)
        block.put(chineseName, at: 158, width: 30)
        block.put(validFrom, at: 188, width: 16)
        block.put(validTo, at: 204, width: 16)
        block.put(birthDate, at: 220, width: 16)
        block.put(cardVersion, at: 236, width: 4)
        block.put(acceptingAuthorityCode, at: 240, width: 8)
        block.put("I", at: 248, width: 2)
        return SAMCardImage(textBlock: block.bytes)
    }

    /// A 2023 foreigner permanent residence ID card (type flag `Y`). An English name longer than 35 characters
    /// continues at offset 220 (11 more characters).
    public static func foreignPermanentResident2023(
        chineseName: String, sex: String, renewalCount: String = "00", birthDate: String, englishName: String,
        number: String, validFrom: String, validTo: String, nationality: String, previousNumberLink: String = ""
    ) -> SAMCardImage {
        var block = SAMTextBlockBuilder()
        block.put(chineseName, at: 0, width: 30)
        block.put(sex, at: 30, width: 2)
        block.put(renewalCount, at: 32, width: 4)
        block.put(birthDate, at: 36, width: 16)
        let english = Array(englishName.utf16)
        block.put(String(decoding: english.prefix(35), as: UTF16.self), at: 52, width: 70)
        block.put(number, at: 122, width: 36)
        block.put(validFrom, at: 188, width: 16)
        block.put(validTo, at: 204, width: 16)
        if english.count > 35 {
            block.put(String(decoding: english.dropFirst(35).prefix(11), as: UTF16.self), at: 220, width: 22)
        }
        block.put(nationality, at: 242, width: 6)
        block.put("Y", at: 248, width: 2)
        block.put(previousNumberLink, at: 250, width: 6)
        return SAMCardImage(textBlock: block.bytes)
    }
}

/// Writes fields into a 256-byte text block: UCS-2 little-endian, left-aligned, padded with spaces (`20 00`).
public struct SAMTextBlockBuilder: Sendable {
    /// The block so far; all spaces at first.
    public private(set) var bytes: [UInt8]

    public init(size: Int = 256) {
        bytes = [UInt8](repeating: 0, count: size)
        for index in stride(from: 0, to: size, by: 2) { bytes[index] = 0x20 }
    }

    /// Writes `text` at `offset`, cut to `width` bytes (`width / 2` UTF-16 units); the rest of the field keeps
    /// its spaces.
    public mutating func put(_ text: String, at offset: Int, width: Int) {
        precondition(offset >= 0 && offset + width <= bytes.count && width % 2 == 0, "field outside the block")
        for (index, unit) in text.utf16.prefix(width / 2).enumerated() {
            bytes[offset + 2 * index] = UInt8(unit & 0xFF)
            bytes[offset + 2 * index + 1] = UInt8(unit >> 8)
        }
    }

    /// `text` as UCS-2LE, padded with spaces to `width` bytes (for the 70-byte extra address of `30 03`).
    public static func field(_ text: String, width: Int) -> [UInt8] {
        var builder = SAMTextBlockBuilder(size: width)
        builder.put(text, at: 0, width: width)
        return builder.bytes
    }
}
