import KioskCore

/// Turning the collected data objects into ``PBOCCardData`` (PBOC 3.0 part 5 Annex A tag formats; cards.md §1.5,
/// §1.6).
extension PBOCProfile {
    /// Builds the result from the primitive objects of the GPO response and all records.
    /// - Throws: ``CardError/malformedData(context:)`` when there is no PAN (`5A`, `57`, `9F6B`) or the one
    ///   found is not BCD.
    static func extract(
        objects: [BERTag: [UInt8]], aid: [UInt8], label: String?, eCashBalanceFen: Int?
    ) throws(CardError) -> PBOCCardData {
        // Track 2 is needed for the PAN only when 5A is absent; then a malformed 57/9F6B is an error.
        let track2Tag: BERTag? =
            objects[.track2Equivalent] != nil
            ? .track2Equivalent
            : objects[.track2Data] != nil ? .track2Data : nil
        var track2: (pan: String, expiry: CardExpiry?)?
        if let track2Tag, let value = objects[track2Tag] {
            do {
                track2 = try parseTrack2(value, tag: track2Tag)
            } catch where objects[.pan] != nil {
                track2 = nil
            }
        }

        let pan: String
        if let value = objects[.pan] {
            do {
                pan = try bcdDigits(value, allowPadding: true)
            } catch {
                throw CardError.malformedData(context: "tag 5A (PAN): \(error)")
            }
        } else if let track2 {
            pan = track2.pan
        } else {
            throw CardError.malformedData(context: "no PAN: none of tags 5A, 57, 9F6B")
        }
        guard !pan.isEmpty else { throw CardError.malformedData(context: "empty PAN") }

        var expiry = track2?.expiry
        if let value = objects[.expirationDate], value.count == 3,
            let digits = try? bcdDigits(value, allowPadding: false),
            let parsed = expiryFromYYMM(digits)
        {
            expiry = parsed
        }

        let name =
            (objects[.cardholderName].flatMap(decodeName)) ?? objects[.cardholderNameExtended].flatMap(decodeName)

        var idNumber: String?
        var idType: PBOCIDType?
        var idNumberProblem: ResidentIDNumber.ValidationError?
        if aid.starts(with: unionPayRID) {
            idType = objects[.cardholderIDType]?.first.map(PBOCIDType.init(rawValue:))
            if let raw = objects[.cardholderIDNumber] {
                idNumber = CardText.decodePadded(raw)
                if idType == .residentIDCard {
                    do {
                        _ = try ResidentIDNumber(validating: idNumber ?? "")
                    } catch {
                        idNumberProblem = error
                    }
                }
            }
        }

        return PBOCCardData(
            aid: aid, applicationLabel: label, pan: pan, panValid: (try? PAN(validating: pan)) != nil, expiry: expiry,
            cardholderName: name, idNumber: idNumber, idType: idType, idNumberProblem: idNumberProblem,
            eCashBalanceFen: eCashBalanceFen)
    }

    /// Decodes `5F20`/`9F0B`: padding stripped, ASCII or GB 18030 (``CardText/decodePadded(_:)``). An ASCII name
    /// in the ISO/IEC 7813 form `SURNAME/GIVEN` is shown as `SURNAME GIVEN`.
    static func decodeName(_ bytes: [UInt8]) -> String? {
        guard let text = CardText.decodePadded(bytes) else { return nil }
        guard text.contains("/") else { return text }
        let words = text.split(whereSeparator: { $0 == "/" || $0 == " " })
        return words.isEmpty ? nil : words.joined(separator: " ")
    }

    /// PAN and expiry from track 2 equivalent data (`57`, `9F6B`): BCD digits, `D` separator, YYMM, service code,
    /// discretionary data, `F` padding (ISO/IEC 7813 track 2 layout; EMV Book 3 Annex A).
    static func parseTrack2(_ bytes: [UInt8], tag: BERTag) throws(CardError) -> (pan: String, expiry: CardExpiry?) {
        let nibbles = bytes.flatMap { [$0 >> 4, $0 & 0x0F] }
        guard let separator = nibbles.firstIndex(of: 0x0D), separator > 0,
            nibbles[..<separator].allSatisfy({ $0 <= 9 })
        else {
            throw CardError.malformedData(context: "tag \(tag) (track 2): no digits before a D separator")
        }
        let pan = nibbles[..<separator].map { String($0) }.joined()
        let dateNibbles = nibbles.dropFirst(separator + 1).prefix(4)
        var expiry: CardExpiry?
        if dateNibbles.count == 4, dateNibbles.allSatisfy({ $0 <= 9 }) {
            expiry = expiryFromYYMM(dateNibbles.map { String($0) }.joined())
        }
        return (pan, expiry)
    }

    /// `YYMM…` → expiry; years 00–49 are 20YY, 50–99 are 19YY (the EMV two-digit year rule, Book 4 §6.7.3).
    static func expiryFromYYMM(_ digits: String) -> CardExpiry? {
        guard digits.count >= 4, let yy = Int(digits.prefix(2)), let mm = Int(digits.dropFirst(2).prefix(2)) else {
            return nil
        }
        return CardExpiry(year: yy < 50 ? 2000 + yy : 1900 + yy, month: mm)
    }

    /// The digits of a BCD field (`n`, or `cn` with `allowPadding`: digits, then only `F` nibbles to the end).
    /// - Throws: ``CardDataError/Code/invalidBCD`` for a nibble A–E, an `F` when padding is not allowed, or a digit
    ///   after padding.
    static func bcdDigits(_ bytes: [UInt8], allowPadding: Bool) throws(CardDataError) -> String {
        var digits = ""
        var padded = false
        for (index, nibble) in bytes.flatMap({ [$0 >> 4, $0 & 0x0F] }).enumerated() {
            switch nibble {
            case 0...9 where !padded:
                digits.append(Character(String(nibble)))
            case 0x0F where allowPadding:
                padded = true
            default:
                throw CardDataError(.invalidBCD, offset: index / 2)
            }
        }
        return digits
    }
}
