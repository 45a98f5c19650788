import KioskCore

/// Turning EF05/EF06 item values into ``SocialSecurityCardData`` (cards.md §3.3 encodings), and the cross-checks
/// between the social security number and EF06.
extension SocialSecurityProfile {
    /// Decodes every item present in `items` (tag → value). A value that does not decode is listed in
    /// ``SocialSecurityCardData/unreadableItems`` and left `nil`.
    static func decode(_ items: [UInt8: [UInt8]], into data: inout SocialSecurityCardData) {
        func unreadable(_ file: String, _ tag: UInt8, _ why: String) {
            data.unreadableItems.append("\(file)/\([tag].hexString): \(why)")
        }
        func date(_ tag: UInt8, _ file: String) -> CalendarDate? {
            guard let value = items[tag] else { return nil }
            guard let digits = try? PBOCProfile.bcdDigits(value, allowPadding: false),
                let date = CalendarDate(yyyymmdd: digits)
            else {
                unreadable(file, tag, "not a BCD date YYYYMMDD")
                return nil
            }
            return date
        }
        func text(_ tag: UInt8, _ file: String) -> String? {
            guard let value = items[tag] else { return nil }
            let stripped = CardText.strippingTrailingPadding(value)
            guard !stripped.isEmpty else { return nil }  // an all-padding field is empty, not malformed
            guard let decoded = CardText.decodePadded(stripped) else {
                unreadable(file, tag, "text does not decode")
                return nil
            }
            return decoded
        }

        // EF05
        if let code = items[SocialSecurityItem.cardIdentificationCode.tag] {
            data.cardIdentificationCode = code
            data.regionCode = Array(code.prefix(3)).hexString.filter { $0 != " " }
        }
        data.cardType = text(SocialSecurityItem.cardType.tag, "EF05")
        data.specVersion = text(SocialSecurityItem.specVersion.tag, "EF05")
        if let institution = items[SocialSecurityItem.initialisingInstitution.tag] {
            data.initialisingInstitution = institution.hexString.filter { $0 != " " }
        }
        data.issueDate = date(SocialSecurityItem.issueDate.tag, "EF05")
        data.validUntil = date(SocialSecurityItem.validUntil.tag, "EF05")
        // "读取'卡号'时只读前9位" (cards.md §3.3): some cards have a longer field.
        data.cardNumber = text(SocialSecurityItem.cardNumber.tag, "EF05").map { String($0.prefix(9)).uppercased() }

        // EF06
        data.socialSecurityNumber = text(SocialSecurityItem.socialSecurityNumber.tag, "EF06")?.uppercased()
        data.name = decodeName(
            items[SocialSecurityItem.name.tag], extension: items[SocialSecurityItem.nameExtension.tag],
            unreadable: { unreadable("EF06", SocialSecurityItem.name.tag, $0) })
        if let value = items[SocialSecurityItem.sex.tag], let byte = value.first {
            // An ASCII digit by the specification; tolerate a BCD digit.
            switch byte {
            case 0x30...0x39: data.sex = .init(rawValue: String(UnicodeScalar(byte)))
            case 0x00...0x09: data.sex = .init(rawValue: String(byte))
            default: unreadable("EF06", SocialSecurityItem.sex.tag, "not a digit")
            }
        }
        if let value = items[SocialSecurityItem.ethnicity.tag] {
            if let digits = try? PBOCProfile.bcdDigits(value, allowPadding: false), digits.count == 2 {
                data.ethnicity = .init(code: digits)
            } else {
                unreadable("EF06", SocialSecurityItem.ethnicity.tag, "not a BCD code")
            }
        }
        if let value = items[SocialSecurityItem.birthplace.tag] {
            if let digits = try? PBOCProfile.bcdDigits(value, allowPadding: true) {
                data.birthplace = digits.isEmpty ? nil : digits
            } else {
                unreadable("EF06", SocialSecurityItem.birthplace.tag, "not a BCD region code")
            }
        }
        data.birthDate = date(SocialSecurityItem.birthDate.tag, "EF06")

        if let number = data.socialSecurityNumber {
            if case .failure(let problem) = SocialSecurityCardData.classify(number) {
                data.socialSecurityNumberProblem = problem.description
            }
        }
        data.consistencyProblems = consistencyProblems(of: data)
    }

    /// Name = 09 ‖ 4E (cards.md §3.3: "2.0卡或3.0卡需读出'姓名扩展'，与'姓名'拼接"), each without its `00` padding,
    /// decoded as ASCII or GB 18030.
    static func decodeName(_ name: [UInt8]?, extension ext: [UInt8]?, unreadable: (String) -> Void) -> String? {
        let bytes = CardText.strippingTrailingPadding(name ?? []) + CardText.strippingTrailingPadding(ext ?? [])
        guard !bytes.isEmpty else { return nil }
        guard let decoded = CardText.decodePadded(bytes) else {
            unreadable("name does not decode as GB 18030")
            return nil
        }
        return decoded
    }

    /// The social security number against EF06: birth date (characters 7–14 of an 18-character number, YYMMDD at
    /// 8–13 of a 2017 foreigner number) vs tag 0D, and the sex digit's parity (17th, or 14th) vs tag 0A. Only
    /// checked when both sides are present; the messages carry no values.
    static func consistencyProblems(of data: SocialSecurityCardData) -> [String] {
        guard let number = data.socialSecurityNumber, case .success(let form) = SocialSecurityCardData.parse(number)
        else { return [] }
        var problems: [String] = []
        let chars: [Character]
        let birthMatches: (CalendarDate) -> Bool
        let sexDigit: Character
        switch form {
        case .eighteen(let id):
            chars = Array(id.value)
            birthMatches = { $0 == id.birthDate }
            sexDigit = chars[16]
        case .foreign2017(let value):
            chars = Array(value)
            let yymmdd = String(chars[7..<13])
            birthMatches = { date in
                let yy = date.year % 100
                let expected = (yy < 10 ? "0" : "") + "\(yy)" + (date.month < 10 ? "0" : "") + "\(date.month)"
                    + (date.day < 10 ? "0" : "") + "\(date.day)"
                return expected == yymmdd
            }
            sexDigit = chars[13]
        }
        if let birthDate = data.birthDate, !birthMatches(birthDate) {
            problems.append("birth date in the social security number (EF06/08) differs from EF06/0D")
        }
        if let isMale = data.sex?.isMale, let digit = sexDigit.wholeNumberValue, (digit % 2 == 1) != isMale {
            problems.append("sex digit of the social security number (EF06/08) disagrees with EF06/0A")
        }
        return problems
    }
}
