import SmartCard

/// A 2nd-generation resident ID card as a plain PC/SC reader sees it (cards.md §4.5, transcript §8.4): no
/// personal data, only the chip serial and the management number.
///
/// - `00 36 00 00 08` → the 8-byte serial + `90 00` (+ one trailing `00` with ``trailingByte``, as Android NfcB
///   delivers it).
/// - `00 A4 00 00 02 60 02` → `90 00`; then `80 B0 00 00 20` → 32 bytes of management number + `90 00`.
/// - SELECT by name → `6A 82`; anything else → `6D 00`.
public struct ResidentIDPlainCardImage: CardImage {
    /// `3B 88 80 01 D1 03 86 05 00 80 80 00 58` (pcsc-tools: "Resident Identity Card (2nd gen, RF)").
    public static let rfATR: [UInt8] = [0x3B, 0x88, 0x80, 0x01, 0xD1, 0x03, 0x86, 0x05, 0x00, 0x80, 0x80, 0x00, 0x58]
    /// `3B 86 80 01 80 4F 03 F0 01 00 3A` (pcsc-tools: "Second-generation Resident Identity Card").
    public static let secondGenerationATR: [UInt8] = [0x3B, 0x86, 0x80, 0x01, 0x80, 0x4F, 0x03, 0xF0, 0x01, 0x00, 0x3A]
    /// The made-up serial of §8.4.
    public static let defaultSerial: [UInt8] = [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF]

    public var atr: [UInt8]
    public var serial: [UInt8]
    /// Append one `00` after `90 00` to the serial answer.
    public var trailingByte: Bool
    private var managementFileSelected = false

    public init(
        serial: [UInt8] = ResidentIDPlainCardImage.defaultSerial, trailingByte: Bool = false,
        atr: [UInt8] = ResidentIDPlainCardImage.rfATR
    ) {
        precondition(serial.count == 8, "the chip serial is 8 bytes")
        self.serial = serial
        self.trailingByte = trailingByte
        self.atr = atr
    }

    public mutating func reset() { managementFileSelected = false }

    public mutating func respond(to command: [UInt8]) -> [UInt8] {
        switch command {
        case [0x00, 0x36, 0x00, 0x00, 0x08]:
            return serial + [0x90, 0x00] + (trailingByte ? [0x00] : [])
        case [0x00, 0xA4, 0x00, 0x00, 0x02, 0x60, 0x02]:
            managementFileSelected = true
            return [0x90, 0x00]
        case [0x80, 0xB0, 0x00, 0x00, 0x20] where managementFileSelected:
            return (0..<32).map { UInt8($0) ^ serial[Int($0) % 8] } + [0x90, 0x00]
        default:
            if command.count >= 2, command[1] == 0xA4 { return [0x6A, 0x82] }
            return [0x6D, 0x00]
        }
    }
}
