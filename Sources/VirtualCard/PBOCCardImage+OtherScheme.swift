extension PBOCCardImage {
    /// Visa credit/debit `A0000000031010`.
    public static let visaAID: [UInt8] = [0xA0, 0x00, 0x00, 0x00, 0x03, 0x10, 0x10]

    /// A bank card of another scheme: its PPSE lists only the Visa AID, and it answers like the §8.1 card under
    /// that AID (test PAN `4111111111111111`, no name, no ID number). The kiosk must not read it
    /// (``SmartCard/CardRouter`` routes it to `unsupportedCard`).
    public static func otherSchemeDebitCard() -> PBOCCardImage {
        PBOCCardImage(pan: "4111111111111111", name: nil, idNumber: nil, aid: visaAID, label: "VISA DEBIT")
    }
}
