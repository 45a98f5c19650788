public import Foundation

extension PeopleFile {
    /// A validated people file: header fields as given (defaults applied where the meaning is fixed) and one
    /// ``ParsedPerson`` per row that is in the snapshot.
    public struct Parsed: Sendable, Hashable {
        /// Key epoch (default 1).
        public var epoch: Int
        /// The file's `epochKey` (32 bytes), or `nil` when the file has none.
        public var epochKey: [UInt8]?
        /// The file's `sequence`, or `nil` when absent (the caller picks the next one).
        public var sequence: Int?
        /// `createdAt` / `createdHoursAgo`, or `now`.
        public var createdAt: Date
        /// The file's `source`, or `nil`.
        public var source: String?
        /// People with `"inSnapshot": false` are not here.
        public var people: [ParsedPerson]
    }

    /// One person of a validated file.
    public struct ParsedPerson: Sendable, Hashable {
        /// Index in the file's `people` array, from 0.
        public var row: Int
        /// Normalised identities, validated (GB 11643, Luhn) where the kind has a check; in file field order. Personal
        /// data: hash them, never log or persist them.
        public var identities: [Identity]
        public var record: StatusRecord
    }

    /// Decodes and validates a people file.
    ///
    /// - Parameters:
    ///   - now: the time relative fields (`…HoursAgo`, `commuterDaysFromNow`) count from.
    ///   - timeZone: the time zone of `commuterDaysFromNow`'s calendar days.
    /// - Throws: ``PeopleFileError`` listing every problem (by row and field, never by value). An identity (kind and
    ///   normalised value) may appear only once in the file.
    public static func parse(_ data: Data, now: Date, timeZone: TimeZone) throws(PeopleFileError) -> Parsed {
        let file: PeopleFile
        do {
            file = try JSONDecoder().decode(PeopleFile.self, from: data)
        } catch let error as DecodingError {
            throw PeopleFileError(problems: [problem(decoding: error)])
        } catch {
            throw PeopleFileError(problems: [.init(row: nil, field: "file", reason: "not a people file")])
        }

        var problems: [PeopleFileError.Problem] = []
        let parser = FieldParser(now: now, timeZone: timeZone)
        if file.people.isEmpty {
            // An import replaces everyone: an empty (truncated, wrongly filtered) export would turn every kiosk's
            // answer into "unknown person".
            problems.append(
                .init(row: nil, field: "people", reason: "the file lists nobody; importing it would remove every subject"))
        }

        var epochKey: [UInt8]?
        if let hex = file.epochKey {
            if let bytes = hexBytes(hex), bytes.count == 32 {
                epochKey = bytes
            } else {
                problems.append(.init(row: nil, field: "epochKey", reason: "expected 64 hex characters"))
            }
        }
        let createdAt =
            parser.time(
                absolute: file.createdAt, hoursAgo: file.createdHoursAgo, field: "createdAt", row: nil,
                problems: &problems) ?? now
        if let sequence = file.sequence, sequence < 0 {
            problems.append(.init(row: nil, field: "sequence", reason: "must not be negative"))
        }

        var people: [ParsedPerson] = []
        var firstRowOfIdentity: [String: Int] = [:]
        for (row, person) in file.people.enumerated() where person.inSnapshot != false {
            let before = problems.count
            let identities = parser.identities(of: person, row: row, problems: &problems)
            let record = parser.record(of: person, row: row, defaultUpdatedAt: createdAt, problems: &problems)
            guard problems.count == before, let record else { continue }
            var kept: [Identity] = []
            for identity in identities {
                let name = "\(identity.kind.rawValue):\(identity.value)"
                if let other = firstRowOfIdentity[name] {
                    var problem = PeopleFileError.Problem(
                        row: row, field: parser.fieldName(of: identity.kind),
                        reason: "each identity may appear once")
                    problem.sameAsRow = other
                    problems.append(problem)
                    continue
                }
                firstRowOfIdentity[name] = row
                kept.append(identity)
            }
            people.append(ParsedPerson(row: row, identities: kept, record: record))
        }
        guard problems.isEmpty else { throw PeopleFileError(problems: problems) }
        return Parsed(
            epoch: file.epoch ?? 1, epochKey: epochKey, sequence: file.sequence, createdAt: createdAt,
            source: file.source, people: people)
    }

    private static func problem(decoding error: DecodingError) -> PeopleFileError.Problem {
        let (path, reason): ([any CodingKey], String) =
            switch error {
            case .typeMismatch(let type, let context): (context.codingPath, "expected \(type)")
            case .valueNotFound(let type, let context): (context.codingPath, "expected \(type), found null")
            case .keyNotFound(let key, let context): (context.codingPath + [key], "missing")
            case .dataCorrupted(let context): (context.codingPath, "not valid JSON")
            @unknown default: ([], "not a people file")
            }
        // `people[3].nat.result` → row 3, field `nat.result`.
        var row: Int?
        var field: [String] = []
        var afterPeople = false
        for key in path {
            if afterPeople, row == nil, let index = key.intValue {
                row = index
            } else {
                afterPeople = key.stringValue == "people" && field.isEmpty && row == nil
                if !afterPeople { field.append(key.intValue.map { "[\($0)]" } ?? key.stringValue) }
            }
        }
        let fieldName =
            field.isEmpty ? (path.isEmpty ? "file" : "people") : field.joined(separator: ".")
        return .init(row: row, field: fieldName, reason: reason)
    }

    /// Bytes of an even-length hex string; `nil` for anything else.
    public static func hexBytes(_ hex: String) -> [UInt8]? {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(chars.count / 2)
        var index = 0
        while index < chars.count {
            guard let byte = UInt8(String(decoding: chars[index..<index + 2], as: UTF8.self), radix: 16) else {
                return nil
            }
            bytes.append(byte)
            index += 2
        }
        return bytes
    }
}

/// Turns the fields of one ``PeopleFile/Person`` into identities and a record, collecting problems by row and
/// field. Messages never include the value.
struct FieldParser {
    var now: Date
    var timeZone: TimeZone

    typealias Problems = [PeopleFileError.Problem]

    // MARK: Identities

    func identities(of person: PeopleFile.Person, row: Int, problems: inout Problems) -> [Identity] {
        var identities: [Identity] = []
        func add(_ kind: IdentityKind, _ value: String) {
            identities.append(Identity(kind: kind, value: value, isValidated: true))
        }
        if let raw = person.idNumber {
            do {
                add(.residentID, try ResidentIDNumber(validating: raw).value)
            } catch {
                problems.append(.init(row: row, field: "idNumber", reason: error.description))
            }
        }
        if let raw = person.residencePermitNumber {
            do {
                let number = try ResidentIDNumber(validating: raw)
                if ["81", "82", "83"].contains(String(number.value.prefix(2))) {
                    add(.residencePermit, number.value)
                } else {
                    problems.append(
                        .init(row: row, field: "residencePermitNumber", reason: "must start with 81, 82 or 83"))
                }
            } catch {
                problems.append(.init(row: row, field: "residencePermitNumber", reason: error.description))
            }
        }
        if let raw = person.foreignPRNumber {
            let value = raw.trimmingCharacters(in: .whitespaces).uppercased()
            if [15, 18].contains(value.count), value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
                add(.foreignPermanentResident, value)
            } else {
                problems.append(
                    .init(row: row, field: "foreignPRNumber", reason: "expected 15 or 18 letters and digits"))
            }
        }
        if let raw = person.sscCardNumber {
            let value = raw.trimmingCharacters(in: .whitespaces).uppercased()
            if value.count == 9, value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
                add(.socialSecurityCard, value)
            } else {
                problems.append(.init(row: row, field: "sscCardNumber", reason: "expected 9 letters and digits"))
            }
        }
        if let raw = person.pan {
            do {
                add(.bankCardPAN, try PAN(validating: raw).digits)
            } catch {
                problems.append(.init(row: row, field: "pan", reason: error.description))
            }
        }
        if let raw = person.printedCode {
            if (1...512).contains(raw.utf8.count) {
                add(.printedCode, raw)
            } else {
                problems.append(.init(row: row, field: "printedCode", reason: "expected 1 to 512 bytes"))
            }
        }
        let given = [
            person.idNumber, person.residencePermitNumber, person.foreignPRNumber, person.sscCardNumber, person.pan,
            person.printedCode,
        ]
        if given.allSatisfy({ $0 == nil }) {
            problems.append(
                .init(
                    row: row, field: "idNumber",
                    reason:
                        "no identity: give at least one of idNumber, residencePermitNumber, foreignPRNumber, "
                        + "sscCardNumber, pan, printedCode"))
        }
        return identities
    }

    func fieldName(of kind: IdentityKind) -> String {
        switch kind {
        case .residentID: "idNumber"
        case .residencePermit: "residencePermitNumber"
        case .foreignPermanentResident: "foreignPRNumber"
        case .socialSecurityCard: "sscCardNumber"
        case .bankCardPAN: "pan"
        case .printedCode: "printedCode"
        }
    }

    // MARK: Record

    func record(of person: PeopleFile.Person, row: Int, defaultUpdatedAt: Date, problems: inout Problems)
        -> StatusRecord?
    {
        let before = problems.count
        var status: HealthStatus?
        if let raw = person.status {
            status = HealthStatus(rawValue: raw)
            if status == nil {
                problems.append(
                    .init(
                        row: row, field: "status",
                        reason:
                            "expected normal, homeObservation or centralizedObservation"))
            }
        } else {
            problems.append(.init(row: row, field: "status", reason: "missing"))
        }

        var popup: Popup?
        if let spec = person.popup {
            switch (spec.code > 0, spec.zh, spec.en) {
            case (false, _, _):
                problems.append(.init(row: row, field: "popup.code", reason: "must be 1 or more"))
            case (true, nil, nil):
                popup = Popup(code: spec.code)
            case (true, let zh?, let en?):
                popup = Popup(code: spec.code, guidance: Guidance(zh: zh, en: en))
            default:
                problems.append(.init(row: row, field: "popup", reason: "give both zh and en text, or neither"))
            }
        }

        var test: NucleicAcidTest?
        if let spec = person.nat {
            let sampledAt = time(
                absolute: spec.sampledAt, hoursAgo: spec.sampledHoursAgo, field: "nat.sampledAt", row: row,
                problems: &problems)
            if sampledAt == nil, spec.sampledAt == nil, spec.sampledHoursAgo == nil {
                problems.append(.init(row: row, field: "nat.sampledAt", reason: "give sampledAt or sampledHoursAgo"))
            }
            let result = spec.result.flatMap(NucleicAcidTest.Result.init(rawValue:))
            if result == nil {
                problems.append(.init(row: row, field: "nat.result", reason: "expected negative, positive or pending"))
            }
            if let sampledAt, let result { test = NucleicAcidTest(sampledAt: sampledAt, result: result) }
        }

        var vaccination: Vaccination?
        if let spec = person.vaccination {
            var lastDose: CalendarDate?
            if let raw = spec.lastDose {
                lastDose = calendarDate(raw)
                if lastDose == nil {
                    problems.append(.init(row: row, field: "vaccination.lastDose", reason: "expected YYYY-MM-DD"))
                }
            }
            if let doses = spec.doses, (0...20).contains(doses) {
                vaccination = Vaccination(doses: doses, lastDose: lastDose)
            } else {
                problems.append(.init(row: row, field: "vaccination.doses", reason: "expected 0 to 20"))
            }
        }

        var commuter: CommuterMark?
        switch (person.commuterUntil, person.commuterDaysFromNow) {
        case (nil, nil):
            break
        case (let raw?, nil):
            if let date = calendarDate(raw) {
                commuter = CommuterMark(validUntil: date)
            } else {
                problems.append(.init(row: row, field: "commuterUntil", reason: "expected YYYY-MM-DD"))
            }
        case (nil, let days?):
            if abs(days) <= Int(Self.maximumHours / 24), let date = today(plusDays: days) {
                commuter = CommuterMark(validUntil: date)
            } else {
                problems.append(
                    .init(row: row, field: "commuterDaysFromNow", reason: "expected days within ±\(Int(Self.maximumHours / 24))"))
            }
        case (_?, _?):
            problems.append(
                .init(row: row, field: "commuterUntil", reason: "give commuterUntil or commuterDaysFromNow"))
        }

        let updatedAt =
            time(
                absolute: person.updatedAt, hoursAgo: person.updatedHoursAgo, field: "updatedAt", row: row,
                problems: &problems) ?? defaultUpdatedAt

        guard problems.count == before, let status else { return nil }
        return StatusRecord(
            status: status, popup: popup, nucleicAcidTest: test, vaccination: vaccination, commuter: commuter,
            updatedAt: updatedAt)
    }

    // MARK: Values

    /// An absolute ISO 8601 time or a number of hours before `now`; `nil` when neither is given or it is bad
    /// (a problem is recorded for bad or contradictory input).
    func time(absolute: String?, hoursAgo: Double?, field: String, row: Int?, problems: inout Problems) -> Date? {
        switch (absolute, hoursAgo) {
        case (nil, nil):
            return nil
        case (let raw?, nil):
            if let date = Self.isoDate(raw), abs(date.timeIntervalSince(now)) <= Self.maximumHours * 3600 {
                return date
            }
            problems.append(.init(row: row, field: field, reason: "expected ISO 8601, e.g. 2026-11-29T08:00:00Z"))
            return nil
        case (nil, let hours?):
            guard hours.isFinite, abs(hours) <= Self.maximumHours else {
                problems.append(.init(row: row, field: field, reason: "hours must be a number within ±\(Int(Self.maximumHours))"))
                return nil
            }
            return now.addingTimeInterval(-hours * 3600)
        case (_?, _?):
            problems.append(.init(row: row, field: field, reason: "give an absolute time or hours ago, not both"))
            return nil
        }
    }

    /// Relative and absolute times must lie within this many hours of now (about 50 years): anything further is a
    /// typo, and would not fit the store's integer columns.
    static let maximumHours: Double = 50 * 365 * 24

    static func isoDate(_ raw: String) -> Date? {
        // Format styles are Sendable values and cheap to reuse; a formatter per call dominated large imports.
        if let date = try? Date.ISO8601FormatStyle().parse(raw) { return date }
        return try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(raw)
    }

    /// `YYYY-MM-DD`.
    func calendarDate(_ raw: String) -> CalendarDate? {
        let parts = raw.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2 else { return nil }
        return CalendarDate(yyyymmdd: parts.joined())
    }

    func today(plusDays days: Int) -> CalendarDate? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        guard let date = calendar.date(byAdding: .day, value: days, to: now) else { return nil }
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return CalendarDate(year: parts.year ?? 0, month: parts.month ?? 0, day: parts.day ?? 0)
    }
}
