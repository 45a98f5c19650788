import KioskCore

/// Why a text block could not be decoded at all.
public enum IDCardTextBlockError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The block is not 256 bytes.
    case wrongSize(Int)
    /// The type flag at byte 248 is not space, `I`, `Y` or `J`; carries the flag as read.
    case unknownTypeFlag(String)

    public var description: String {
        switch self {
        case .wrongSize(let count): "text block has \(count) bytes, expected 256"
        case .unknownTypeFlag(let flag): "unknown card type flag '\(flag)' at byte 248"
        }
    }
}

extension IDCardData {
    /// Size of the text block of a `30 01` reply.
    public static let textBlockSize = 256
    /// Offset of the type flag (one UCS-2 character).
    public static let typeFlagOffset = 248

    /// Decodes the 256-byte UCS-2LE text block of a `30 01` / `30 10` reply (cards.md §4.3).
    ///
    /// Fields are cut at the §4.3 offsets, decoded as UTF-16LE, and trimmed of the space (`20 00`) padding and of
    /// NULs. Dates are 8 ASCII digits; a valid-to that is not 8 digits is long-term. The number is upper-cased and
    /// checked for the layout (GB 11643 for resident cards and residence permits, §5.3 for foreigners); a failure
    /// lands in ``numberProblem``, it does not throw.
    /// - Throws: ``IDCardTextBlockError`` for a block of the wrong size or an unknown type flag.
    public init(textBlock bytes: [UInt8]) throws(IDCardTextBlockError) {
        guard bytes.count == Self.textBlockSize else { throw .wrongSize(bytes.count) }
        let block = TextBlockReader(bytes: bytes)
        let flagText = block.raw(Self.typeFlagOffset, 2)
        let flag: Character = flagText.first ?? " "
        guard flagText.count <= 1, let layout = IDCardLayout(typeFlag: flag == "\0" ? " " : flag) else {
            throw .unknownTypeFlag(flagText)
        }
        switch layout {
        case .residentID, .residencePermit:
            self.init(
                layout: layout,
                name: block.text(0, 30),
                sex: IDCardSex(rawValue: block.text(30, 2) ?? ""),
                ethnicity: layout == .residentID ? block.text(32, 4).map(Ethnicity.init(code:)) : nil,
                birthDate: block.date(36),
                address: block.text(52, 70),
                number: block.text(122, 36)?.uppercased() ?? "",
                issuingAuthority: block.text(158, 30),
                validFrom: block.date(188),
                validTo: IDCardValidity(field: block.text(204, 16) ?? ""),
                travelPermitNumber: layout == .residencePermit ? block.text(220, 18) : nil,
                issueCount: layout == .residencePermit ? block.text(238, 4) : nil)
        case .foreignPermanentResident2017:
            self.init(
                layout: layout,
                name: block.text(158, 30),
                englishName: block.text(0, 120),
                sex: IDCardSex(rawValue: block.text(120, 2) ?? ""),
                birthDate: block.date(220),
                number: block.text(122, 30)?.uppercased() ?? "",
                validFrom: block.date(188),
                validTo: IDCardValidity(field: block.text(204, 16) ?? ""),
                nationality: block.text(152, 6),
                cardVersion: block.text(236, 4),
                acceptingAuthorityCode: block.text(240, 8))
        case .foreignPermanentResident2023:
            // English name: characters 1–35 at 52, 36–46 at 220; the first part is full-width when the second
            // exists, so the parts join without a separator.
            let first = block.raw(52, 70)
            let second = block.text(220, 22)
            let english = TextBlockReader.trim(second.map { first + $0 } ?? first)
            self.init(
                layout: layout,
                name: block.text(0, 30),
                englishName: english.isEmpty ? nil : english,
                sex: IDCardSex(rawValue: block.text(30, 2) ?? ""),
                birthDate: block.date(36),
                number: block.text(122, 36)?.uppercased() ?? "",
                validFrom: block.date(188),
                validTo: IDCardValidity(field: block.text(204, 16) ?? ""),
                nationality: block.text(242, 6),
                renewalCount: block.text(32, 4),
                previousNumberLink: block.text(250, 6))
        }
        numberProblem = IDCardNumberCheck.problem(with: number, layout: layout)
    }
}

/// Field access into a UCS-2LE text block.
struct TextBlockReader {
    let bytes: [UInt8]

    /// The UTF-16LE text of `count` bytes at `offset`, untrimmed.
    func raw(_ offset: Int, _ count: Int) -> String {
        let slice = bytes[offset..<(offset + count)]
        var units: [UInt16] = []
        units.reserveCapacity(count / 2)
        var index = slice.startIndex
        while index + 1 < slice.endIndex {
            units.append(UInt16(slice[index]) | UInt16(slice[index + 1]) << 8)
            index += 2
        }
        return String(decoding: units, as: UTF16.self)
    }

    /// The trimmed text of a field; `nil` when blank.
    func text(_ offset: Int, _ count: Int) -> String? {
        let trimmed = Self.trim(raw(offset, count))
        return trimmed.isEmpty ? nil : trimmed
    }

    /// An 8-digit date field (16 bytes) at `offset`; `nil` when blank or not a date.
    func date(_ offset: Int) -> CalendarDate? {
        text(offset, 16).flatMap(CalendarDate.init(yyyymmdd:))
    }

    /// Strips spaces (ASCII and ideographic) and NULs at both ends.
    static func trim(_ text: String) -> String {
        let padding: Set<Character> = [" ", "\u{3000}", "\0"]
        var s = Substring(text)
        while let first = s.first, padding.contains(first) { s = s.dropFirst() }
        while let last = s.last, padding.contains(last) { s = s.dropLast() }
        return String(s)
    }
}
