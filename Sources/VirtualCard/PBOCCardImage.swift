public import KioskCore
import SmartCard

/// A virtual UnionPay PBOC card (PBOC 3.0 / JR/T 0025 debit application) built from a few fields.
///
/// With the defaults it answers byte for byte as the transcript in cards.md §8.1: the synthetic person 王小测, PAN
/// `6299999900000000014`, ID number `110101194605121231` (type 00), expiry 2049-12-31, e-cash 10.00 CNY. All of
/// that is fictitious; never send it to a production service.
///
/// Commands it answers (anything else: `6D 00`, or `6E 00` for a CLA other than `00`/`80`):
///
/// - SELECT `00 A4 04 00` PPSE (FCI with one `61` entry), PSE (FCI with directory SFI 1 in tag `88`), the AID
///   (FCI with label, priority, the §8.1 PDOL `9F66 04 9F02 06 9F37 04 5F2A 02`, `5F2D "zh"`, log entry `9F4D`);
///   partial AIDs (≥ 5 bytes) select it too; unknown names give `6A 82`.
/// - GET PROCESSING OPTIONS `80 A8 00 00 Lc 83 10 …`: format 2 (`77 { 82 7C00, 94 AFL }`), or format 1 with
///   ``Variant/gpoFormat1``; PDOL data of the wrong length gives `67 00`. AFL = SFI 1 rec 1, SFI 2 rec 1.
/// - READ RECORD `00 B2 rr (SFI<<3|4)`: SFI 1 rec 1 (track 2, name, ID number, ID type), SFI 2 rec 1 (PAN,
///   expiry, effective date, PAN sequence number, issuer country); with PSE selected, SFI 1 rec 1 is the
///   directory record; others `6A 83`.
/// - GET DATA `80 CA 9F 79`: the e-cash balance, or `6A 88` when `eCashFen` is `nil`.
/// - GET RESPONSE `00 C0 00 00 Le` after a `61 XX` (``Variant/t0GetResponse``).
///
/// The card is contactless-style (the kiosk asks people to tap), so ``defaultATR`` is the form PC/SC synthesises for
/// an ISO 14443-4 card, `3B 8n 80 01 <historical bytes> TCK`, indicating T=0 and T=1 in TD1/TD2 so pcscd
/// negotiates T=1 with vpcd. The T=0 `61 XX`/`6C XX` behaviour is simulated at APDU level by the variants.
public struct PBOCCardImage: CardImage {
    /// Ways the card deviates from the §8.1 transcript, each a behaviour a reader must survive (cards.md §8.1).
    public struct Variant: OptionSet, Sendable, Hashable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        /// GPO answers format 1 (`80 0A 7C00 AFL`) instead of format 2.
        public static let gpoFormat1 = Variant(rawValue: 1 << 0)
        /// Record SFI 1 rec 1 holds only track 2: no `5F20`, `9F61`, `9F62` (common on real cards, §1.6).
        public static let noNameOrID = Variant(rawValue: 1 << 1)
        /// The name is in `9F0B` instead of `5F20`.
        public static let nameIn9F0B = Variant(rawValue: 1 << 2)
        /// The name is padded with `00` to 26 bytes.
        public static let namePadded00 = Variant(rawValue: 1 << 3)
        /// The name is padded with `20` to 26 bytes.
        public static let namePadded20 = Variant(rawValue: 1 << 4)
        /// SELECT and GPO answer `61 XX`; the data comes with GET RESPONSE (T=0 case 4).
        public static let t0GetResponse = Variant(rawValue: 1 << 5)
        /// READ RECORD and GET DATA answer `6C XX` unless Le is exactly the data length (T=0 case 2).
        public static let wrongLe = Variant(rawValue: 1 << 6)
        /// SELECT PPSE answers `6A 82`; the directory is reachable only through PSE.
        public static let noPPSE = Variant(rawValue: 1 << 7)
        /// SELECT PPSE and PSE both answer `6A 82`; the reader must try the known AIDs.
        public static let noDirectory = Variant(rawValue: 1 << 8)
        /// No `5A` in the records: the PAN is only in track 2 (`57`).
        public static let track2Only = Variant(rawValue: 1 << 9)

        /// Every variant, for tests that run them all.
        public static let allCases: [(name: String, variant: Variant)] = [
            ("gpoFormat1", .gpoFormat1), ("noNameOrID", .noNameOrID), ("nameIn9F0B", .nameIn9F0B),
            ("namePadded00", .namePadded00), ("namePadded20", .namePadded20), ("t0GetResponse", .t0GetResponse),
            ("wrongLe", .wrongLe), ("noPPSE", .noPPSE), ("noDirectory", .noDirectory), ("track2Only", .track2Only),
        ]
    }

    /// `3B 89 80 01 "KIOSKPBOC" 43`: contactless-style ATR, T=0 and T=1 offered, TCK included.
    public static let defaultATR: [UInt8] = [0x3B, 0x89, 0x80, 0x01] + Array("KIOSKPBOC".utf8) + [0x43]
    /// UnionPay debit `A000000333010101`.
    public static let debitAID: [UInt8] = [0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x01]

    public var atr: [UInt8]
    public var pan: String
    public var name: String?
    public var idNumber: String?
    public var idType: UInt8
    public var expiry: CalendarDate
    public var effective: CalendarDate
    public var eCashFen: Int?
    public var variant: Variant
    public var aid: [UInt8]
    public var label: String

    private enum Selection { case none, ppse, pse, application }
    private var selection = Selection.none
    private var pendingResponse: [UInt8] = []

    /// - Parameters:
    ///   - pan: 12–19 digits (not checked: a bad Luhn digit is a useful test card).
    ///   - name: encoded as GB 18030 (GBK for common characters); `nil` leaves `5F20`/`9F0B` out.
    ///   - idNumber: written to `9F61` as ASCII; `nil` leaves `9F61` and `9F62` out.
    ///   - idType: `9F62`, 00 = resident ID card.
    ///   - eCashFen: balance for GET DATA `9F79`, at most 12 digits; `nil` makes GET DATA answer `6A 88`.
    public init(
        pan: String = "6299999900000000014", name: String? = "王小测", idNumber: String? = "110101194605121231",
        idType: UInt8 = 0x00, expiry: CalendarDate = CalendarDate(year: 2049, month: 12, day: 31)!,
        effective: CalendarDate = CalendarDate(year: 2016, month: 1, day: 1)!, eCashFen: Int? = 1000,
        variant: Variant = [], aid: [UInt8] = PBOCCardImage.debitAID, label: String = "PBOC DEBIT",
        atr: [UInt8] = PBOCCardImage.defaultATR
    ) {
        precondition(pan.count <= 19 && pan.allSatisfy(\.isNumber), "PAN must be at most 19 digits")
        precondition(eCashFen.map { (0...999_999_999_999).contains($0) } ?? true, "balance must fit n12")
        self.pan = pan
        self.name = name
        self.idNumber = idNumber
        self.idType = idType
        self.expiry = expiry
        self.effective = effective
        self.eCashFen = eCashFen
        self.variant = variant
        self.aid = aid
        self.label = label
        self.atr = atr
    }

    public mutating func reset() {
        selection = .none
        pendingResponse = []
    }

    // MARK: Responding

    public mutating func respond(to command: [UInt8]) -> [UInt8] {
        guard let apdu = ParsedCommand(command) else { return Self.status(0x6700) }
        if apdu.cla == 0x00 && apdu.ins == 0xC0 { return getResponse(le: apdu.le) }
        pendingResponse = []
        switch (apdu.cla, apdu.ins) {
        case (0x00, 0xA4): return select(apdu)
        case (0x80, 0xA8): return getProcessingOptions(apdu)
        case (0x00, 0xB2): return readRecord(apdu)
        case (0x80, 0xCA): return getData(apdu)
        case (0x00, _), (0x80, _): return Self.status(0x6D00)
        default: return Self.status(0x6E00)
        }
    }

    private mutating func select(_ apdu: ParsedCommand) -> [UInt8] {
        guard apdu.p1 == 0x04, apdu.p2 == 0x00 else { return Self.status(0x6A86) }
        if apdu.data == PBOCProfile.ppseName {
            guard variant.isDisjoint(with: [.noPPSE, .noDirectory]) else { return Self.status(0x6A82) }
            selection = .ppse
            return caseFour(ppseFCI)
        }
        if apdu.data == PBOCProfile.pseName {
            guard !variant.contains(.noDirectory) else { return Self.status(0x6A82) }
            selection = .pse
            return caseFour(pseFCI)
        }
        if apdu.data.count >= 5, aid.starts(with: apdu.data) {
            selection = .application
            return caseFour(applicationFCI)
        }
        return Self.status(0x6A82)
    }

    private mutating func getProcessingOptions(_ apdu: ParsedCommand) -> [UInt8] {
        guard selection == .application else { return Self.status(0x6985) }
        guard apdu.p1 == 0x00, apdu.p2 == 0x00 else { return Self.status(0x6A86) }
        let expected = [0x83, UInt8(Self.pdol.totalLength)]
        guard apdu.data.count == Self.pdol.totalLength + 2, Array(apdu.data.prefix(2)) == expected else {
            return Self.status(0x6700)
        }
        let afl = ApplicationFileLocator(entries: [
            .init(sfi: 1, firstRecord: 1, lastRecord: 1), .init(sfi: 2, firstRecord: 1, lastRecord: 1),
        ])
        let aip: [UInt8] = [0x7C, 0x00]
        let response =
            variant.contains(.gpoFormat1)
            ? BERTLV(tag: 0x80, value: aip + afl.bytes)
            : BERTLV(tag: 0x77, children: [BERTLV(tag: 0x82, value: aip), BERTLV(tag: 0x94, value: afl.bytes)])
        return caseFour(response.encoded)
    }

    private func readRecord(_ apdu: ParsedCommand) -> [UInt8] {
        guard apdu.p2 & 0x07 == 0x04 else { return Self.status(0x6A86) }
        let sfi = apdu.p2 >> 3
        let record: [UInt8]?
        switch (selection, sfi, apdu.p1) {
        case (.pse, 1, 1): record = pseDirectoryRecord
        case (.application, 1, 1): record = record1
        case (.application, 2, 1): record = record2
        case (.none, _, _), (.ppse, _, _): return Self.status(0x6A82)
        default: record = nil
        }
        guard let record else { return Self.status(0x6A83) }
        return caseTwo(record, le: apdu.le)
    }

    private func getData(_ apdu: ParsedCommand) -> [UInt8] {
        guard apdu.p1 == 0x9F, apdu.p2 == 0x79, let eCashFen else { return Self.status(0x6A88) }
        return caseTwo(BERTLV(tag: 0x9F79, value: Self.bcd(String(eCashFen), digits: 12)).encoded, le: apdu.le)
    }

    private mutating func getResponse(le: Int?) -> [UInt8] {
        guard !pendingResponse.isEmpty else { return Self.status(0x6985) }
        let wanted = le.map { $0 == 0 ? 256 : $0 } ?? 256
        let chunk = Array(pendingResponse.prefix(wanted))
        pendingResponse.removeFirst(chunk.count)
        if pendingResponse.isEmpty { return chunk + [0x90, 0x00] }
        return chunk + [0x61, UInt8(truncatingIfNeeded: pendingResponse.count)]
    }

    /// A case-4 answer: the data, or `61 XX` with the data kept for GET RESPONSE.
    private mutating func caseFour(_ data: [UInt8]) -> [UInt8] {
        guard variant.contains(.t0GetResponse), !data.isEmpty else { return data + [0x90, 0x00] }
        pendingResponse = data
        return [0x61, UInt8(truncatingIfNeeded: data.count)]
    }

    /// A case-2 answer: the data, or `6C XX` when ``Variant/wrongLe`` is set and Le is not the data length.
    private func caseTwo(_ data: [UInt8], le: Int?) -> [UInt8] {
        let wanted = le.map { $0 == 0 ? 256 : $0 }
        if variant.contains(.wrongLe), wanted != data.count { return [0x6C, UInt8(truncatingIfNeeded: data.count)] }
        return data + [0x90, 0x00]
    }

    private static func status(_ sw: UInt16) -> [UInt8] { [UInt8(sw >> 8), UInt8(sw & 0xFF)] }
}

// MARK: Card content

extension PBOCCardImage {
    /// The §8.1 PDOL: TTQ, amount authorised, unpredictable number, transaction currency code.
    static let pdol = DataObjectList(entries: [
        .init(tag: 0x9F66, length: 4), .init(tag: 0x9F02, length: 6), .init(tag: 0x9F37, length: 4),
        .init(tag: 0x5F2A, length: 2),
    ])

    var labelBytes: [UInt8] { CardText.encodeGB18030(label) ?? Array(label.utf8) }

    var directoryEntry: BERTLV {
        BERTLV(
            tag: .applicationTemplate,
            children: [
                BERTLV(tag: .aid, value: aid), BERTLV(tag: .applicationLabel, value: labelBytes),
                BERTLV(tag: .applicationPriority, value: [0x01]),
            ])
    }

    var ppseFCI: [UInt8] {
        BERTLV(
            tag: .fciTemplate,
            children: [
                BERTLV(tag: .dfName, value: PBOCProfile.ppseName),
                BERTLV(
                    tag: .fciProprietaryTemplate,
                    children: [
                        BERTLV(tag: .fciIssuerDiscretionaryData, children: [directoryEntry])
                    ]),
            ]
        ).encoded
    }

    var pseFCI: [UInt8] {
        BERTLV(
            tag: .fciTemplate,
            children: [
                BERTLV(tag: .dfName, value: PBOCProfile.pseName),
                BERTLV(tag: .fciProprietaryTemplate, children: [BERTLV(tag: .directorySFI, value: [0x01])]),
            ]
        ).encoded
    }

    var pseDirectoryRecord: [UInt8] { BERTLV(tag: .recordTemplate, children: [directoryEntry]).encoded }

    var applicationFCI: [UInt8] {
        let pdolBytes = Self.pdol.entries.flatMap { $0.tag.bytes + [UInt8($0.length)] }
        return BERTLV(
            tag: .fciTemplate,
            children: [
                BERTLV(tag: .dfName, value: aid),
                BERTLV(
                    tag: .fciProprietaryTemplate,
                    children: [
                        BERTLV(tag: .applicationLabel, value: labelBytes),
                        BERTLV(tag: .applicationPriority, value: [0x01]),
                        BERTLV(tag: .pdol, value: pdolBytes),
                        BERTLV(tag: .languagePreference, value: Array("zh".utf8)),
                        BERTLV(
                            tag: .fciIssuerDiscretionaryData, children: [BERTLV(tag: .logEntry, value: [0x0B, 0x0A])]),
                    ]),
            ]
        ).encoded
    }

    /// Track 2 equivalent: PAN `D` YYMM, service code 220, 8 discretionary zeros, `F` to a whole byte.
    var track2: [UInt8] {
        let yymm = Self.twoDigits(expiry.year % 100) + Self.twoDigits(expiry.month)
        var nibbles = pan.compactMap { $0.wholeNumberValue.map(UInt8.init) } + [0x0D]
        nibbles += (yymm + "220" + "00000000").compactMap { $0.wholeNumberValue.map(UInt8.init) }
        if nibbles.count % 2 == 1 { nibbles.append(0x0F) }
        return stride(from: 0, to: nibbles.count, by: 2).map { nibbles[$0] << 4 | nibbles[$0 + 1] }
    }

    var nameObject: BERTLV? {
        guard let name else { return nil }
        var bytes = CardText.encodeGB18030(name) ?? Array(name.utf8)
        if variant.contains(.namePadded00) || variant.contains(.namePadded20), bytes.count < 26 {
            bytes += [UInt8](repeating: variant.contains(.namePadded00) ? 0x00 : 0x20, count: 26 - bytes.count)
        }
        return BERTLV(tag: variant.contains(.nameIn9F0B) ? .cardholderNameExtended : .cardholderName, value: bytes)
    }

    var record1: [UInt8] {
        var children = [BERTLV(tag: .track2Equivalent, value: track2)]
        if !variant.contains(.noNameOrID) {
            if let nameObject { children.append(nameObject) }
            if let idNumber {
                children.append(BERTLV(tag: .cardholderIDNumber, value: Array(idNumber.utf8)))
                children.append(BERTLV(tag: .cardholderIDType, value: [idType]))
            }
        }
        return BERTLV(tag: .recordTemplate, children: children).encoded
    }

    var record2: [UInt8] {
        var children: [BERTLV] = []
        if !variant.contains(.track2Only) {
            children.append(BERTLV(tag: .pan, value: Self.bcd(pan, digits: pan.count + pan.count % 2, padWithF: true)))
        }
        children += [
            BERTLV(tag: .expirationDate, value: Self.bcd(Self.yymmdd(expiry), digits: 6)),
            BERTLV(tag: .effectiveDate, value: Self.bcd(Self.yymmdd(effective), digits: 6)),
            BERTLV(tag: .panSequenceNumber, value: [0x01]),
            BERTLV(tag: 0x5F28, value: [0x01, 0x56]),  // issuer country code, China
        ]
        return BERTLV(tag: .recordTemplate, children: children).encoded
    }

    static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    static func yymmdd(_ date: CalendarDate) -> String {
        twoDigits(date.year % 100) + twoDigits(date.month) + twoDigits(date.day)
    }

    /// Packs decimal digits as BCD into `digits` nibbles: right-aligned with leading zeros (`n`), or left-aligned
    /// with trailing `F` (`cn`, `padWithF`).
    static func bcd(_ text: String, digits: Int, padWithF: Bool = false) -> [UInt8] {
        var nibbles = text.compactMap { $0.wholeNumberValue.map(UInt8.init) }
        if padWithF {
            nibbles += [UInt8](repeating: 0x0F, count: max(0, digits - nibbles.count))
        } else {
            nibbles = [UInt8](repeating: 0, count: max(0, digits - nibbles.count)) + nibbles
        }
        if nibbles.count % 2 == 1 { nibbles.append(0x0F) }
        return stride(from: 0, to: nibbles.count, by: 2).map { nibbles[$0] << 4 | nibbles[$0 + 1] }
    }
}

/// A short command APDU split into its fields (ISO/IEC 7816-4 §5.1 cases 1–4).
struct ParsedCommand {
    var cla, ins, p1, p2: UInt8
    var data: [UInt8]
    /// `nil` when absent; 0 means 256.
    var le: Int?

    init?(_ bytes: [UInt8]) {
        guard bytes.count >= 4 else { return nil }
        (cla, ins, p1, p2) = (bytes[0], bytes[1], bytes[2], bytes[3])
        switch bytes.count {
        case 4:
            data = []
            le = nil
        case 5:
            data = []
            le = Int(bytes[4])
        default:
            let lc = Int(bytes[4])
            guard lc > 0, bytes.count == 5 + lc || bytes.count == 6 + lc else { return nil }
            data = Array(bytes[5..<(5 + lc)])
            le = bytes.count == 6 + lc ? Int(bytes[5 + lc]) : nil
        }
    }
}
