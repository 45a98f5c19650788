public import KioskCore

/// A 2nd-generation resident ID card (or a residence permit / foreigner card of the same family) was put on a plain
/// PC/SC reader. Its personal data is released only to an MPS SAM (GA 467), so the kiosk can read nothing but the
/// chip serial here (cards.md §4.1, §4.5): the person should use the ID-card reader.
///
/// `description` never contains the serial (it identifies the card); ``serial`` is for technician tools, masked.
public struct IDCardOnPCSCReader: Error, Sendable, Hashable, CustomStringConvertible, GuidanceProviding {
    /// The 8-byte chip serial (`00 36 00 00 08`), e.g. Synjones shows it as 16 hex characters.
    public var serial: [UInt8]
    /// Whether the ATR was one of the known ID-card ATRs (``ResidentIDCardProbe/isIDCardATR(_:)``).
    public var atrMatched: Bool

    public init(serial: [UInt8], atrMatched: Bool) {
        self.serial = serial
        self.atrMatched = atrMatched
    }

    public var description: String {
        let atr = atrMatched ? "known" : "unknown"
        return "resident ID card on a PC/SC reader (chip serial read, no personal data; ATR \(atr))"
    }

    /// The serial with the middle masked: first 2 and last 2 bytes, `0123********CDEF`.
    public var maskedSerial: String {
        let hex = serial.hexString.filter { $0 != " " }
        guard hex.count > 8 else { return String(repeating: "*", count: hex.count) }
        return String(hex.prefix(4)) + String(repeating: "*", count: hex.count - 8) + String(hex.suffix(4))
    }

    public var guidance: Guidance {
        Guidance(zh: "请将身份证放在身份证阅读区", en: "Please place your ID card on the ID-card reader")
    }
}

/// Recognises a resident ID card on a plain PC/SC reader (cards.md §4.5, §8.4).
public enum ResidentIDCardProbe {
    /// ATRs PC/SC readers synthesise for the ISO 14443-B resident ID card and residence permit (pcsc-tools
    /// `smartcard_list.txt`, cards.md §4.5 and §6). A hint for ordering only: ATRs name a chip, not an application.
    public static let knownATRs: [[UInt8]] = [
        [0x3B, 0x86, 0x80, 0x01, 0x80, 0x4F, 0x03, 0xF0, 0x01, 0x00, 0x3A],
        [0x3B, 0x88, 0x80, 0x01, 0xD1, 0x03, 0x86, 0x05, 0x00, 0x80, 0x80, 0x00, 0x58],
        [0x3B, 0x8A, 0x80, 0x01, 0x80, 0x65, 0xA2, 0x01, 0x31, 0x01, 0x3D, 0x72, 0xD6, 0x41, 0xA5],
        [0x3B, 0x8F, 0x80, 0x01, 0x80, 0x4F, 0x0C, 0xA0, 0x00, 0x00, 0x03, 0x06, 0x07, 0xFF, 0xB0, 0x00, 0x00, 0x00,
         0x00, 0x20],
        // Residence Permit for Residents (Liaoning)
        [0x3B, 0x8B, 0x80, 0x01, 0x20, 0x70, 0x01, 0x00, 0x00, 0x00, 0x00, 0x07, 0x1C, 0x61, 0x51, 0x70],
    ]

    /// Whether `atr` is one of ``knownATRs``.
    public static func isIDCardATR(_ atr: [UInt8]) -> Bool { knownATRs.contains(atr) }

    /// GET UID-like `00 36 00 00 08`: the 8-byte chip serial (nfsee ReadChinaID).
    public static let readSerial: [UInt8] = [0x00, 0x36, 0x00, 0x00, 0x08]

    /// Sends `00 36 00 00 08` and returns the serial when the answer is 8 bytes + `90 00`, with or without one
    /// trailing byte (Android NfcB appends `00`); a `61 08` is followed by GET RESPONSE. `nil` for any other answer.
    /// - Throws: the channel's errors (``CardError/cardRemoved``, reader errors); never for an odd answer.
    public static func readSerial(from channel: some CardChannel) async throws -> [UInt8]? {
        var raw = try await channel.transmitRaw(readSerial)
        if raw.count == 2, raw[0] == 0x61, raw[1] == 0x08 {
            raw = try await channel.transmitRaw(CommandAPDU.getResponse(le: 8).bytes)
        }
        return serial(in: raw)
    }

    /// The serial in a raw answer: exactly `serial(8) 90 00` or `serial(8) 90 00 xx`.
    static func serial(in raw: [UInt8]) -> [UInt8]? {
        guard raw.count == 10 || raw.count == 11, raw[8] == 0x90, raw[9] == 0x00 else { return nil }
        return Array(raw.prefix(8))
    }
}
