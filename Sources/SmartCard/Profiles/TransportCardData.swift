public import KioskCore

/// The Beijing transport application (市政交通一卡通, BMAC) as a reader without keys sees it: the 32-byte
/// issuer record of SFI 4 (cards.md §2, after nfsee's ReadTransBeijing). The senior card carries it next to its
/// PBOC application; whether a senior card answers exactly like this is uncertain (cards.md §9 item 2).
///
/// No ``Identity`` kind exists for the BMAC number, so it is reported, not looked up. `description` is masked.
public struct TransportCardData: Sendable, Hashable, CustomStringConvertible {
    /// Bytes 0–7 as 16 hex digits (starts `1000`).
    public var cardNumber: String
    /// Bytes 24–27, BCD YYYYMMDD.
    public var issueDate: CalendarDate?
    /// Bytes 28–31, BCD YYYYMMDD.
    public var expiryDate: CalendarDate?

    public init(cardNumber: String, issueDate: CalendarDate?, expiryDate: CalendarDate?) {
        self.cardNumber = cardNumber
        self.issueDate = issueDate
        self.expiryDate = expiryDate
    }

    /// READ BINARY SFI 4, 32 bytes: `00 B0 84 00 20`.
    public static let readIssuerRecord = CommandAPDU(cla: 0x00, ins: 0xB0, p1: 0x84, p2: 0x00, le: 0x20)

    /// Sends ``readIssuerRecord``; the data when the card answers 9000 with 32 bytes starting `10 00`, else `nil`.
    /// - Throws: the channel's errors only.
    public static func read(from channel: some CardChannel) async throws -> TransportCardData? {
        let response = try await channel.transmit(readIssuerRecord)
        return parse(response)
    }

    static func parse(_ response: ResponseAPDU) -> TransportCardData? {
        let data = response.data
        guard response.statusWord.isSuccess, data.count == 32, data[0] == 0x10, data[1] == 0x00 else { return nil }
        func date(_ range: Range<Int>) -> CalendarDate? {
            (try? PBOCProfile.bcdDigits(Array(data[range]), allowPadding: false)).flatMap(CalendarDate.init(yyyymmdd:))
        }
        return TransportCardData(
            cardNumber: Array(data[0..<8]).hexString.filter { $0 != " " }, issueDate: date(24..<28),
            expiryDate: date(28..<32))
    }

    public var description: String {
        var parts = ["card \(Masking.idNumber(cardNumber))"]
        if let issueDate { parts.append("issued \(issueDate)") }
        if let expiryDate { parts.append("expires \(expiryDate)") }
        return "TransportCardData(" + parts.joined(separator: ", ") + ")"
    }
}
