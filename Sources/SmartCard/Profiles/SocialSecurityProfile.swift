public import Logging

/// Reads the social security card 社会保障卡 (MOHRSS, LD/T 32): the SSSE files EF05 (issuer data) and EF06 (holder
/// basic data), which 1st- and 2nd-generation cards release without keys (cards.md §3, transcript §8.2).
///
/// The sequence:
///
/// 1. SELECT SSSE by DF name `00 A4 04 00 0F 73 78 31 2E 73 68 2E C9 E7 BB E1 B1 A3 D5 CF` (`sx1.sh.社会保障`, no Le).
///    9000 (or `61 XX` followed by GET RESPONSE) is the card; anything else is ``CardError/unsupportedCard``. The
///    FCI's optional algorithm indicator `9F0C` (`86 01 xx`) is kept.
/// 2. For EF05 (items 01–07) and EF06 (items 08, 09, 4E, 0A, 0B, 0C, 0D): SELECT `00 A4 02 00 02 EF 0n`, then READ
///    RECORD each item by record identifier, `00 B2 <tag> 00 <value length + 2>` (§3.2 form 1). If the card rejects
///    that form for the first item (`6A 86`, `6B 00`, `6A 81`, `6D 00`, `67 00`), the file is read again in the
///    next form: record number `00 B2 <n> 04` (records 1…7, each record placed by its own tag), then by SFI
///    (EF05 = SFI 5, EF06 = SFI 6) with P2 `28`/`30` (identifier) and `2C`/`34` (number). A file whose SELECT
///    fails is read by SFI only. A SELECT refused with `69 82`/`69 85` marks the whole file protected.
/// 3. Each record is a simple-TLV `tag len value`; the tag must be the item's and the length must fit. Per item:
///    `6A 83` (and `6A 88`) = absent; `69 82`, `69 85`, `6A 82` = protected (needs a PSAM, cards.md §3.4); any
///    other status = unreadable. None of these stop the read.
///
/// `61 XX` and `6C XX` are followed up by ``CardChannel/transmit(_:)``. Between 17 APDUs (§8.2) and about 40 (every
/// form tried) are sent; no command needs a key or PIN.
///
/// Decoding and cross-checks: see ``SocialSecurityCardData``. Privacy: the logger gets steps, tags and status
/// words only.
public struct SocialSecurityProfile: Sendable {
    /// DF name of the social security environment: ASCII `sx1.sh.` + GBK `社会保障` (cards.md §3.1).
    public static let ssseName: [UInt8] = [
        0x73, 0x78, 0x31, 0x2E, 0x73, 0x68, 0x2E, 0xC9, 0xE7, 0xBB, 0xE1, 0xB1, 0xA3, 0xD5, 0xCF,
    ]

    public var logger: Logger

    /// - Parameter logger: receives debug entries without personal data; silent by default.
    public init(logger: Logger = Logger(label: "kiosk.ssc", factory: { _ in SwiftLogNoOpLogHandler() })) {
        self.logger = logger
    }

    /// `00 A4 04 00 0F <SSSE name>`, without Le, as public readers send it.
    public static var selectSSSE: CommandAPDU { CommandAPDU(cla: 0x00, ins: 0xA4, p1: 0x04, p2: 0x00, data: ssseName) }

    /// Reads EF05 and EF06.
    ///
    /// - Returns: whatever the card released. A spec-3.00 card without external authentication returns with
    ///   ``SocialSecurityCardData/protectedItems`` set (check ``SocialSecurityCardData/needsSecureAccessModule``);
    ///   the caller decides whether to fall back to the card's PBOC application (``CardRouter`` does).
    /// - Throws: ``CardError/unsupportedCard`` when SELECT SSSE answers anything but 9000; errors of the channel
    ///   (``CardError/cardRemoved``, ``CardError/malformedResponse(length:)``, reader errors) unchanged.
    public func read(from channel: some CardChannel) async throws -> SocialSecurityCardData {
        let select = try await channel.transmit(Self.selectSSSE)
        logger.debug("ssc select SSSE", metadata: ["kiosk.sw": "\(select.statusWord)"])
        guard select.statusWord.isSuccess else { throw CardError.unsupportedCard }

        var items: [UInt8: [UInt8]] = [:]
        var data = SocialSecurityCardData()
        data.algorithm = Self.algorithmIndicator(in: select.data)
        for file in SocialSecurityFile.allCases {
            let outcome = try await read(file, on: channel)
            items.merge(outcome.values) { old, _ in old }
            data.absentItems += outcome.absent
            data.protectedItems += outcome.protected
            data.unreadableItems += outcome.unreadable
        }
        Self.decode(items, into: &data)
        logger.debug(
            "ssc read complete",
            metadata: [
                "kiosk.items": "\(items.keys.sorted().hexString)",
                "kiosk.protected": "\(data.protectedItems.hexString)",
            ])
        return data
    }

    /// `9F0C` anywhere in the FCI: its value `86 01 xx` gives `xx`; a bare 1-byte value is taken as is.
    static func algorithmIndicator(in fci: [UInt8]) -> UInt8? {
        guard !fci.isEmpty, let objects = try? BERTLV.parse(fci) else { return nil }
        guard let value = PBOCProfile.primitiveObjects(in: objects)[0x9F0C] else { return nil }
        if let inner = try? BERTLV.parseSingle(value), inner.tag == 0x86, inner.value.count == 1 {
            return inner.value[0]
        }
        return value.count == 1 ? value[0] : nil
    }

    // MARK: Files and READ RECORD forms

    /// What one file yielded.
    struct FileOutcome {
        var values: [UInt8: [UInt8]] = [:]
        var absent: [UInt8] = []
        var protected: [UInt8] = []
        var unreadable: [String] = []
    }

    /// The four READ RECORD forms of cards.md §3.2, in the order tried.
    enum ReadForm: Equatable, CustomStringConvertible {
        /// `00 B2 tag 00`: record identifier in the current (explicitly selected) EF.
        case identifier
        /// `00 B2 n 04`: record number in the current EF.
        case number
        /// `00 B2 tag (SFI<<3)`: record identifier, EF by SFI.
        case sfiIdentifier
        /// `00 B2 n (SFI<<3|4)`: record number, EF by SFI.
        case sfiNumber

        var byNumber: Bool { self == .number || self == .sfiNumber }

        func p2(for file: SocialSecurityFile) -> UInt8 {
            switch self {
            case .identifier: 0x00
            case .number: 0x04
            case .sfiIdentifier: file.sfi << 3
            case .sfiNumber: file.sfi << 3 | 0x04
            }
        }

        var description: String {
            switch self {
            case .identifier: "record identifier"
            case .number: "record number"
            case .sfiIdentifier: "SFI + record identifier"
            case .sfiNumber: "SFI + record number"
            }
        }
    }

    /// Status words that mean "this READ RECORD form is not supported", as opposed to an answer about the item.
    static func rejectsForm(_ sw: StatusWord) -> Bool {
        [0x6A86, 0x6B00, 0x6A81, 0x6D00, 0x6700].contains(sw.value)
    }

    /// Status words that mean "not without authentication" (cards.md §3.4).
    static func isProtected(_ sw: StatusWord) -> Bool {
        [0x6982, 0x6985, 0x6A82].contains(sw.value)
    }

    static func isAbsent(_ sw: StatusWord) -> Bool { sw == .recordNotFound || sw.value == 0x6A88 }

    /// `00 A4 02 00 02 EF 0n` (no Le, as in §8.2).
    static func selectEF(_ file: SocialSecurityFile) -> CommandAPDU {
        CommandAPDU(cla: 0x00, ins: 0xA4, p1: 0x02, p2: 0x00, data: [0xEF, file.fileID])
    }

    func read(_ file: SocialSecurityFile, on channel: some CardChannel) async throws -> FileOutcome {
        let select = try await channel.transmit(Self.selectEF(file))
        logger.debug("ssc select EF", metadata: ["kiosk.ef": "\(file)", "kiosk.sw": "\(select.statusWord)"])
        if select.statusWord == .securityStatusNotSatisfied || select.statusWord == .conditionsNotSatisfied {
            return FileOutcome(protected: file.items.map(\.tag))
        }
        let forms: [ReadForm] =
            select.statusWord.isSuccess
            ? [.identifier, .number, .sfiIdentifier, .sfiNumber] : [.sfiIdentifier, .sfiNumber]
        for form in forms {
            if let outcome = try await read(file, form: form, on: channel) { return outcome }
            logger.debug("ssc read form rejected", metadata: ["kiosk.ef": "\(file)", "kiosk.form": "\(form)"])
        }
        return FileOutcome(unreadable: ["\(file): READ RECORD rejected in every form"])
    }

    /// Reads the file's items in one form; `nil` when the card rejects the form on its first command.
    func read(_ file: SocialSecurityFile, form: ReadForm, on channel: some CardChannel) async throws -> FileOutcome? {
        var outcome = FileOutcome()
        let p2 = form.p2(for: file)
        for (index, item) in file.items.enumerated() {
            let p1 = form.byNumber ? UInt8(index + 1) : item.tag
            let response = try await channel.transmit(.readRecord(p1, p2: p2, le: item.length + 2))
            let sw = response.statusWord
            logger.debug(
                "ssc read record",
                metadata: ["kiosk.ef": "\(file)", "kiosk.p1": "\([p1].hexString)", "kiosk.sw": "\(sw)"])
            if index == 0, Self.rejectsForm(sw) { return nil }
            if form.byNumber, Self.isAbsent(sw) { break }  // past the last record
            if sw.isSuccess {
                guard let tag = response.data.first else {
                    outcome.unreadable.append("\(file) record \([p1].hexString): empty")
                    continue
                }
                // In number forms the record says which item it is (recs 3 = 4E and 6 = 0C are inferred, §3.2).
                let expected = form.byNumber ? file.items.first { $0.tag == tag } : item
                guard let expected, expected.tag == tag else {
                    outcome.unreadable.append(
                        "\(file)/\(item.tagHex): record carries tag \([tag].hexString)")
                    continue
                }
                switch Self.simpleTLVValue(response.data, item: expected) {
                case .success(let value): outcome.values[expected.tag] = value
                case .failure(let problem): outcome.unreadable.append("\(file)/\(expected.tagHex): \(problem)")
                }
            } else if Self.isAbsent(sw) {
                outcome.absent.append(item.tag)
            } else if Self.isProtected(sw) {
                outcome.protected.append(item.tag)
            } else {
                outcome.unreadable.append("\(file)/\(item.tagHex): SW \(sw)")
            }
        }
        if form.byNumber {
            // Items no record carried (the file ended early, or a record sat at another number): absent, unless
            // already reported.
            let seen = Set(outcome.values.keys).union(outcome.protected)
            outcome.absent = file.items.filter { item in
                !seen.contains(item.tag) && !outcome.unreadable.contains { $0.hasPrefix("\(file)/\(item.tagHex):") }
            }.map(\.tag)
        }
        return outcome
    }

    /// The value of a simple-TLV record `tag len value` (ISO/IEC 7816-4 §5.2.1, one-byte length), checked against
    /// the item: same tag, length within the data, and for fixed-size fields exactly the specified length.
    static func simpleTLVValue(_ data: [UInt8], item: SocialSecurityItem) -> Result<[UInt8], ItemProblem> {
        guard data.count >= 2 else { return .failure(ItemProblem("record shorter than its header")) }
        guard data[0] == item.tag else { return .failure(ItemProblem("tag \([data[0]].hexString)")) }
        let length = Int(data[1])
        guard length != 0xFF else { return .failure(ItemProblem("three-byte length not expected")) }
        guard data.count >= 2 + length else {
            return .failure(ItemProblem("length \(length) but \(data.count - 2) bytes"))
        }
        if item.fixedLength, length != item.length {
            return .failure(ItemProblem("length \(length), expected \(item.length)"))
        }
        return .success(Array(data[2..<(2 + length)]))
    }

    struct ItemProblem: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}

/// The two SSSE files readable without keys.
enum SocialSecurityFile: CaseIterable, CustomStringConvertible {
    case ef05, ef06

    var fileID: UInt8 { self == .ef05 ? 0x05 : 0x06 }
    var sfi: UInt8 { fileID }
    var description: String { self == .ef05 ? "EF05" : "EF06" }

    /// Items in record order (EF06: 08, 09, 4E, 0A, 0B, 0C, 0D, cards.md §3.2 form 2).
    var items: [SocialSecurityItem] {
        switch self {
        case .ef05:
            [.cardIdentificationCode, .cardType, .specVersion, .initialisingInstitution, .issueDate, .validUntil,
             .cardNumber]
        case .ef06:
            [.socialSecurityNumber, .name, .nameExtension, .sex, .ethnicity, .birthplace, .birthDate]
        }
    }
}

/// One EF05/EF06 item: its tag (= record identifier) and value length (cards.md §3.3).
struct SocialSecurityItem: Equatable {
    var tag: UInt8
    var length: Int
    /// Whether a different length is malformed (binary and BCD fields) rather than a variant (text fields).
    var fixedLength: Bool

    var tagHex: String { [tag].hexString }

    static let cardIdentificationCode = Self(tag: 0x01, length: 16, fixedLength: true)
    static let cardType = Self(tag: 0x02, length: 1, fixedLength: false)
    static let specVersion = Self(tag: 0x03, length: 4, fixedLength: false)
    static let initialisingInstitution = Self(tag: 0x04, length: 12, fixedLength: false)
    static let issueDate = Self(tag: 0x05, length: 4, fixedLength: true)
    static let validUntil = Self(tag: 0x06, length: 4, fixedLength: true)
    static let cardNumber = Self(tag: 0x07, length: 9, fixedLength: false)
    static let socialSecurityNumber = Self(tag: 0x08, length: 18, fixedLength: false)
    static let name = Self(tag: 0x09, length: 30, fixedLength: false)
    static let nameExtension = Self(tag: 0x4E, length: 20, fixedLength: false)
    static let sex = Self(tag: 0x0A, length: 1, fixedLength: true)
    static let ethnicity = Self(tag: 0x0B, length: 1, fixedLength: true)
    static let birthplace = Self(tag: 0x0C, length: 3, fixedLength: false)
    static let birthDate = Self(tag: 0x0D, length: 4, fixedLength: true)
}
