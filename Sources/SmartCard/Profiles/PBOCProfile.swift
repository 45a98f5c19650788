import Foundation
public import KioskCore
public import Logging

/// Reads a UnionPay PBOC debit/credit/e-cash application without keys: the financial application of the Beijing
/// senior card (北京通—养老助残卡), and of any UnionPay IC card (PBOC 3.0 = JR/T 0025, which follows EMV 4.x).
///
/// The sequence (cards.md §1 and the transcript in §8.1; EMV Book 1 §12, Book 3 §10):
///
/// 1. Directory: SELECT PPSE `00 A4 04 00 0E "2PAY.SYS.DDF01" 00` and take the entries of `6F/A5/BF0C/61`; if that
///    fails, SELECT PSE `"1PAY.SYS.DDF01"`, take the directory SFI from `6F/A5/88`, and READ RECORD
///    `00 B2 nn (SFI<<3|4) 00` for n = 1, 2, … until SW ≠ 9000, each record `70 { 61 { 4F, 50, 87 } }`.
///    Entries are tried by priority (tag `87`, b4–b1; 1 first, 0 last), then the ``knownAIDs`` not yet tried.
///    A directory that fails to parse counts as no directory.
/// 2. SELECT the AID `00 A4 04 00 Lc AID 00`; any SW but 9000 moves on to the next candidate.
/// 3. GET PROCESSING OPTIONS `80 A8 00 00 Lc 83 L <PDOL data> 00`, the PDOL (`6F/A5/9F38`) filled per
///    ``pdolValue(for:length:)``; on any SW but 9000 once more with empty data (`83 00`), as cardpeek does; if
///    that fails too, the next candidate. Response format 1 (`80`: AIP, AFL) and format 2 (`77 { 82, 94, … }`,
///    whose other objects, e.g. `57`, count like record data) are accepted.
/// 4. READ RECORD every record of every AFL entry (`00 B2 rr (SFI<<3|4) 00`); a record answered with SW ≠ 9000 is
///    skipped, a record that is not a well-formed `70` template is an error.
/// 5. GET DATA `80 CA 9F 79 00` for the e-cash balance; any failure means "no balance", not an error.
///
/// Status words `61 XX` / `6C XX` are handled by ``CardChannel/transmit(_:)``. No command here needs a key or a
/// PIN. GPO starts a transaction on the card, which may increment its application transaction counter (`9F36`);
/// no GENERATE AC is ever sent, so no transaction completes.
///
/// What is extracted: see ``PBOCCardData``. Tags `9F61`/`9F62` are interpreted only for UnionPay AIDs (RID
/// `A000000333`): under MasterCard PayPass the same tags are CVC3 data (cards.md §1.5).
///
/// Privacy: the logger gets step names, AIDs, status words and tags only, never values.
public struct PBOCProfile: Sendable {
    /// `2PAY.SYS.DDF01`, the proximity payment system environment (EMV Book B §3.3).
    public static let ppseName: [UInt8] = Array("2PAY.SYS.DDF01".utf8)
    /// `1PAY.SYS.DDF01`, the contact payment system environment (EMV Book 1 §12.2.2).
    public static let pseName: [UInt8] = Array("1PAY.SYS.DDF01".utf8)
    /// UnionPay registered application provider identifier.
    public static let unionPayRID: [UInt8] = [0xA0, 0x00, 0x00, 0x03, 0x33]
    /// UnionPay AIDs tried one by one when the card has no usable directory (cards.md §1.2): debit 借记,
    /// credit 贷记, quasi-credit 准贷记, pure e-cash 电子现金, and `…0108`.
    public static let knownAIDs: [[UInt8]] = [0x01, 0x02, 0x03, 0x06, 0x08].map { unionPayRID + [0x01, 0x01, $0] }

    /// The date sent in PDOL tag `9A`; `nil` = today in the local time zone.
    public var transactionDate: CalendarDate?
    /// The 4 bytes sent in PDOL tag `9F37`; `nil` = fresh random bytes per read.
    public var unpredictableNumber: [UInt8]?
    /// Whether only UnionPay applications (RID `A000000333`) are selected. A directory that lists only other
    /// schemes' AIDs then gives ``CardError/unsupportedCard`` without any GET PROCESSING OPTIONS (``CardRouter``
    /// sets it: the kiosk has no use for a foreign card's PAN). Default `false`.
    public var unionPayOnly = false
    public var logger: Logger

    /// - Parameters:
    ///   - transactionDate: fixed terminal date for tag `9A` (tests); `nil` for today.
    ///   - unpredictableNumber: fixed 4 bytes for tag `9F37` (tests); `nil` for random.
    ///   - logger: receives debug entries without personal data; silent by default.
    public init(
        transactionDate: CalendarDate? = nil, unpredictableNumber: [UInt8]? = nil,
        logger: Logger = Logger(label: "kiosk.pboc", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.transactionDate = transactionDate
        self.unpredictableNumber = unpredictableNumber
        self.logger = logger
    }

    /// Reads the card with a default profile. See ``read(from:)``.
    public static func read(from channel: some CardChannel) async throws -> PBOCCardData {
        try await PBOCProfile().read(from: channel)
    }

    /// Reads the first PBOC application that completes GET PROCESSING OPTIONS and yields a PAN.
    ///
    /// Sends between 5 and a few dozen APDUs (see the type's overview); each awaits the channel, which for PC/SC
    /// blocks in `SCardTransmit` on the channel's own executor.
    ///
    /// - Returns: the extracted data; call ``PBOCCardData/identities()`` for the lookup.
    /// - Throws: ``CardError/cardRemoved`` (and any other error the channel throws, e.g.
    ///   ``CardError/reader(name:code:)`` or `CancellationError`) unchanged;
    ///   ``CardError/unsupportedCard`` when no PBOC application could be selected;
    ///   ``CardError/unexpectedStatus(command:statusWord:)`` when an application was selected but GET PROCESSING
    ///   OPTIONS failed for every candidate;
    ///   ``CardError/malformedData(context:)`` when the selected application's FCI, PDOL, GPO response, AFL, a
    ///   record or the PAN is malformed, or no PAN is present.
    public func read(from channel: some CardChannel) async throws -> PBOCCardData {
        let directory = try await readDirectory(from: channel)
        var candidates: [(aid: [UInt8], label: String?)] = directory.map { ($0.aid, $0.label) }
        for aid in Self.knownAIDs where !candidates.contains(where: { $0.aid == aid }) {
            candidates.append((aid, nil))
        }

        var gpoFailure: StatusWord?
        for candidate in candidates where !unionPayOnly || candidate.aid.starts(with: Self.unionPayRID) {
            guard let application = try await select(candidate.aid, on: channel) else { continue }
            let processing: ProcessingOptions
            switch try await getProcessingOptions(application, on: channel) {
            case .success(let options): processing = options
            case .refused(let statusWord):
                gpoFailure = statusWord
                continue
            }
            var objects = processing.objects
            for entry in processing.afl.entries {
                for record in entry.records {
                    objects.merge(try await readRecord(sfi: entry.sfi, record: record, on: channel)) { old, _ in old }
                }
            }
            let balance = try await readECashBalance(on: channel)
            let data = try Self.extract(
                objects: objects, aid: application.aid, label: application.label ?? candidate.label,
                eCashBalanceFen: balance)
            logger.debug("pboc read complete", metadata: ["kiosk.aid": "\(application.aid.compactHex)"])
            return data
        }
        if let gpoFailure {
            throw CardError.unexpectedStatus(command: "GET PROCESSING OPTIONS", statusWord: gpoFailure)
        }
        throw CardError.unsupportedCard
    }

    // MARK: Application selection

    struct SelectedApplication {
        var aid: [UInt8]
        var label: String?
        var pdol: DataObjectList?
    }

    /// SELECT by AID; `nil` when the card answers anything but 9000.
    /// - Throws: ``CardError/malformedData(context:)`` for an FCI that is not a `6F` template or a bad PDOL.
    func select(_ aid: [UInt8], on channel: some CardChannel) async throws -> SelectedApplication? {
        let response = try await channel.transmit(.select(name: aid))
        logger.debug(
            "pboc select", metadata: ["kiosk.aid": "\(aid.compactHex)", "kiosk.sw": "\(response.statusWord)"])
        guard response.statusWord.isSuccess else { return nil }
        let context = "SELECT \(aid.compactHex) FCI"
        let fci = try Self.parseTemplate(response.data, tag: .fciTemplate, context: context)
        let proprietary = fci.child(.fciProprietaryTemplate)
        var pdol: DataObjectList?
        if let pdolBytes = proprietary?.child(.pdol)?.value {
            do {
                pdol = try DataObjectList(parsing: pdolBytes)
            } catch {
                throw CardError.malformedData(context: "\(context) PDOL: \(error)")
            }
        }
        return SelectedApplication(
            aid: fci.child(.dfName)?.value ?? aid,
            label: proprietary?.child(.applicationLabel).flatMap { CardText.decodePadded($0.value) },
            pdol: pdol)
    }

    // MARK: GET PROCESSING OPTIONS

    struct ProcessingOptions {
        var aip: [UInt8]
        var afl: ApplicationFileLocator
        /// Format 2 objects other than AIP and AFL (qPBOC may put `57`, `5F20`, `9F61` here).
        var objects: [BERTag: [UInt8]]
    }

    enum GPOOutcome {
        case success(ProcessingOptions)
        /// The card refused both attempts; the last status word.
        case refused(StatusWord)
    }

    /// Sends GPO with the PDOL data, then, if refused, with empty data.
    /// - Throws: ``CardError/malformedData(context:)`` for an oversized PDOL or a malformed response.
    func getProcessingOptions(
        _ application: SelectedApplication, on channel: some CardChannel
    ) async throws -> GPOOutcome {
        let pdolData = application.pdol.map { $0.build(value: pdolValue(for:length:)) } ?? []
        guard pdolData.count <= 252 else {
            throw CardError.malformedData(context: "PDOL asks for \(pdolData.count) bytes, more than one APDU holds")
        }
        var response = try await channel.transmit(Self.gpoCommand(pdolData: pdolData))
        logger.debug("pboc gpo", metadata: ["kiosk.sw": "\(response.statusWord)"])
        if !response.statusWord.isSuccess && !pdolData.isEmpty {
            response = try await channel.transmit(Self.gpoCommand(pdolData: []))
            logger.debug("pboc gpo without PDOL data", metadata: ["kiosk.sw": "\(response.statusWord)"])
        }
        guard response.statusWord.isSuccess else { return .refused(response.statusWord) }
        return .success(try Self.parseProcessingOptions(response.data))
    }

    /// `80 A8 00 00 Lc 83 L data 00` (EMV Book 3 §6.5.8).
    static func gpoCommand(pdolData: [UInt8]) -> CommandAPDU {
        CommandAPDU(
            cla: 0x80, ins: 0xA8, p1: 0x00, p2: 0x00, data: [0x83] + BERTLV.encodeLength(pdolData.count) + pdolData,
            le: 0)
    }

    /// Parses a GPO response of format 1 (`80`) or 2 (`77`), EMV Book 3 §6.5.8.4.
    static func parseProcessingOptions(_ data: [UInt8]) throws(CardError) -> ProcessingOptions {
        let context = "GET PROCESSING OPTIONS response"
        let template: BERTLV
        do {
            template = try BERTLV.parseSingle(data)
        } catch {
            throw CardError.malformedData(context: "\(context): \(error)")
        }
        let aip: [UInt8]
        let aflBytes: [UInt8]
        var objects: [BERTag: [UInt8]] = [:]
        switch template.tag {
        case .responseTemplateFormat1:
            guard template.value.count >= 2 else {
                throw CardError.malformedData(context: "\(context): format 1 shorter than the AIP")
            }
            aip = Array(template.value.prefix(2))
            aflBytes = Array(template.value.dropFirst(2))
        case .responseTemplateFormat2:
            aip = template.child(.aip)?.value ?? []
            aflBytes = template.child(.afl)?.value ?? []
            objects = primitiveObjects(in: template.children)
            objects[.aip] = nil
            objects[.afl] = nil
        default:
            throw CardError.malformedData(context: "\(context): template \(template.tag), expected 80 or 77")
        }
        do {
            return ProcessingOptions(aip: aip, afl: try ApplicationFileLocator(parsing: aflBytes), objects: objects)
        } catch {
            throw CardError.malformedData(context: "\(context) AFL: \(error)")
        }
    }

    /// The value this terminal sends for a PDOL entry (cards.md §1.3, after nfsee's BuildRespOfPDOL): `9F66` TTQ
    /// `26000000`, `9F02` amount `000000000001`, `9F03` other amount 0, `9F1A` country `0156`, `95` TVR 0, `5F2A`
    /// currency `0156`, `9A` date YYMMDD, `9C` type `00`, `9F37` unpredictable number; `nil` (zeros) otherwise.
    public func pdolValue(for tag: BERTag, length: Int) -> (bytes: [UInt8], isNumeric: Bool)? {
        switch tag {
        case 0x9F66: ([0x26, 0x00, 0x00, 0x00], false)
        case 0x9F02: ([0x00, 0x00, 0x00, 0x00, 0x00, 0x01], true)
        case 0x9F03: ([0x00, 0x00, 0x00, 0x00, 0x00, 0x00], true)
        case 0x9F1A, 0x5F2A: ([0x01, 0x56], true)
        case 0x95: ([0x00, 0x00, 0x00, 0x00, 0x00], false)
        case 0x9A: (Self.yymmdd(transactionDate ?? Self.today()), true)
        case 0x9C: ([0x00], true)
        case 0x9F37: (unpredictableNumber ?? (0..<4).map { _ in UInt8.random(in: .min ... .max) }, false)
        default: nil
        }
    }

    static func yymmdd(_ date: CalendarDate) -> [UInt8] {
        [date.year % 100, date.month, date.day].map { UInt8((($0 / 10) << 4) | ($0 % 10)) }
    }

    static func today() -> CalendarDate {
        let parts = Calendar(identifier: .gregorian).dateComponents([.year, .month, .day], from: Date())
        return CalendarDate(year: parts.year ?? 2000, month: parts.month ?? 1, day: parts.day ?? 1)
            ?? CalendarDate(year: 2000, month: 1, day: 1)!
    }

    // MARK: Records and GET DATA

    /// READ RECORD one record; its primitive objects, or none when the card answers SW ≠ 9000.
    /// - Throws: ``CardError/malformedData(context:)`` unless the data is one well-formed `70` template.
    func readRecord(sfi: UInt8, record: UInt8, on channel: some CardChannel) async throws -> [BERTag: [UInt8]] {
        let response = try await channel.transmit(.readRecord(sfi: sfi, record: record))
        logger.debug(
            "pboc read record",
            metadata: [
                "kiosk.sfi": "\(sfi)", "kiosk.record": "\(record)",
                "kiosk.sw": "\(response.statusWord)",
            ])
        guard response.statusWord.isSuccess else { return [:] }
        let template = try Self.parseTemplate(
            response.data, tag: .recordTemplate, context: "READ RECORD SFI \(sfi) rec \(record)")
        return Self.primitiveObjects(in: template.children)
    }

    /// GET DATA `80 CA 9F 79 00`: the e-cash balance in fen, or `nil` when refused or unreadable.
    func readECashBalance(on channel: some CardChannel) async throws -> Int? {
        let response = try await channel.transmit(CommandAPDU(cla: 0x80, ins: 0xCA, p1: 0x9F, p2: 0x79, le: 0))
        logger.debug("pboc get data 9F79", metadata: ["kiosk.sw": "\(response.statusWord)"])
        guard response.statusWord.isSuccess else { return nil }
        let value: [UInt8]
        if let object = try? BERTLV.parse(response.data).first(tag: .eCashBalance) {
            value = object.value
        } else if response.data.count == 6 {
            value = response.data  // some cards answer the bare value
        } else {
            return nil
        }
        guard value.count == 6, let digits = try? Self.bcdDigits(value, allowPadding: false) else { return nil }
        return Int(digits)
    }

    // MARK: Helpers

    static func parseTemplate(_ data: [UInt8], tag: BERTag, context: String) throws(CardError) -> BERTLV {
        do {
            return try BERTLV.parseSingle(data, expectedTag: tag)
        } catch {
            throw CardError.malformedData(context: "\(context): \(error)")
        }
    }

    /// Every primitive object among `objects` and their descendants; the first occurrence of a tag wins.
    static func primitiveObjects(in objects: [BERTLV]) -> [BERTag: [UInt8]] {
        var out: [BERTag: [UInt8]] = [:]
        func walk(_ list: [BERTLV]) {
            for object in list {
                if object.isConstructed {
                    walk(object.children)
                } else if out[object.tag] == nil {
                    out[object.tag] = object.value
                }
            }
        }
        walk(objects)
        return out
    }
}

extension Array where Element == UInt8 {
    /// Hex without spaces (`A000000333010101`), for AIDs in logs and messages.
    var compactHex: String { hexString.filter { $0 != " " } }
}
