/// EMV and PBOC data object tags the card profiles use, named as in the specifications. Sources: EMV Book 3
/// Annex A; PBOC 3.0 (JR/T 0025) part 5 Annex A for the PBOC-only tags `9F61`, `9F62`, `9F79`; cards.md §1.5.
extension BERTag {
    /// `6F` File Control Information template (ISO/IEC 7816-4; EMV Book 1 §11.3.4).
    public static let fciTemplate: BERTag = 0x6F
    /// `84` Dedicated file name: the AID or directory name that was selected.
    public static let dfName: BERTag = 0x84
    /// `A5` FCI proprietary template.
    public static let fciProprietaryTemplate: BERTag = 0xA5
    /// `BF0C` FCI issuer discretionary data (holds the PPSE directory entries).
    public static let fciIssuerDiscretionaryData: BERTag = 0xBF0C
    /// `88` SFI of the directory elementary file (in the PSE FCI).
    public static let directorySFI: BERTag = 0x88
    /// `61` Application template (one directory entry).
    public static let applicationTemplate: BERTag = 0x61
    /// `4F` Application identifier (ADF name).
    public static let aid: BERTag = 0x4F
    /// `50` Application label.
    public static let applicationLabel: BERTag = 0x50
    /// `87` Application priority indicator: b4–b1 priority, 1 highest, 0 none.
    public static let applicationPriority: BERTag = 0x87
    /// `9F38` Processing options data object list (PDOL).
    public static let pdol: BERTag = 0x9F38
    /// `5F2D` Language preference.
    public static let languagePreference: BERTag = 0x5F2D
    /// `70` READ RECORD response template (EMV Book 3 §6.5.11).
    public static let recordTemplate: BERTag = 0x70
    /// `77` Response message template format 2 (EMV Book 3 §6.5.8).
    public static let responseTemplateFormat2: BERTag = 0x77
    /// `80` Response message template format 1 (AIP followed by AFL, no inner tags).
    public static let responseTemplateFormat1: BERTag = 0x80
    /// `82` Application interchange profile.
    public static let aip: BERTag = 0x82
    /// `94` Application file locator.
    public static let afl: BERTag = 0x94
    /// `5A` Application primary account number (PAN), `cn` up to 10 bytes, `F`-padded.
    public static let pan: BERTag = 0x5A
    /// `57` Track 2 equivalent data: PAN `D` YYMM service code, discretionary data, `F`-padded.
    public static let track2Equivalent: BERTag = 0x57
    /// `9F6B` Track 2 data (qPBOC/contactless kernels; same layout as `57`).
    public static let track2Data: BERTag = 0x9F6B
    /// `5F24` Application expiration date, `n6` YYMMDD.
    public static let expirationDate: BERTag = 0x5F24
    /// `5F25` Application effective date, `n6` YYMMDD.
    public static let effectiveDate: BERTag = 0x5F25
    /// `5F34` PAN sequence number.
    public static let panSequenceNumber: BERTag = 0x5F34
    /// `5F20` Cardholder name, 2–26 bytes (PBOC: GBK in practice, padded with `00` or `20`).
    public static let cardholderName: BERTag = 0x5F20
    /// `9F0B` Cardholder name extended, 27–45 bytes; used instead of `5F20` for longer names.
    public static let cardholderNameExtended: BERTag = 0x9F0B
    /// `9F61` Cardholder ID number (PBOC 3.0 part 5; `ans` 1–40, `00`-padded). Under PayPass the same tag is
    /// CVC3 (Track 2).
    public static let cardholderIDNumber: BERTag = 0x9F61
    /// `9F62` Cardholder ID type (PBOC 3.0 part 5; `cn` 1): see ``PBOCIDType``.
    public static let cardholderIDType: BERTag = 0x9F62
    /// `9F79` Electronic cash balance (PBOC 3.0 part 13; `n12`, fen), read with GET DATA.
    public static let eCashBalance: BERTag = 0x9F79
    /// `9F4D` Log entry (SFI and record count of the transaction log).
    public static let logEntry: BERTag = 0x9F4D
}
