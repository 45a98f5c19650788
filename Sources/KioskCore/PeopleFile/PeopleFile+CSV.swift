import CSV
public import Foundation

extension PeopleFile {
    /// The CSV columns of a people file, one person per row (RFC 4180: comma-separated, `"` quoting, a header row
    /// naming the columns in any order). Empty cells are absent fields. Times are ISO 8601 (`2026-11-29T08:00:00Z`),
    /// dates `YYYY-MM-DD`; the meaning of each column is that of the JSON field it maps to (``PeopleFile``).
    public static let csvColumns: [String] = [
        "name", "note", "idNumber", "residencePermitNumber", "foreignPRNumber", "sscCardNumber", "pan", "printedCode",
        "status", "popupCode", "popupZh", "popupEn", "natResult", "natSampledAt", "natSampledHoursAgo",
        "vaccineDoses", "lastDose", "commuterUntil", "commuterDaysFromNow", "updatedAt", "updatedHoursAgo",
    ]

    /// Converts a CSV people file to the JSON people file ``parse(_:now:timeZone:)`` reads, so both formats share
    /// every check. The header row must name only ``csvColumns``.
    ///
    /// - Throws: ``PeopleFileError`` naming the row (from 0, the first person) and the column, never a value: an
    ///   unknown column, a row with more or fewer cells than the header, a number column that is not a number,
    ///   malformed CSV.
    public static func json(fromCSV text: String) throws(PeopleFileError) -> Data {
        let reader: CSVReader
        do {
            reader = try CSVReader(string: text, hasHeaderRow: true, trimFields: true)
        } catch {
            throw PeopleFileError(problems: [.init(row: nil, field: "file", reason: "not CSV (no header row, or bad quoting)")])
        }
        let header = reader.headerRow ?? []
        var problems: [PeopleFileError.Problem] = []
        for name in Set(header) where header.filter({ $0 == name }).count > 1 {
            problems.append(.init(row: nil, field: name, reason: "column given twice"))
        }
        for name in header where !csvColumns.contains(name) {
            problems.append(.init(row: nil, field: name, reason: "unknown column (allowed: \(csvColumns.joined(separator: ", ")))"))
        }
        if header.isEmpty { problems.append(.init(row: nil, field: "file", reason: "no header row")) }
        guard problems.isEmpty else { throw PeopleFileError(problems: problems) }

        let integers: Set = ["popupCode", "vaccineDoses", "commuterDaysFromNow"]
        let decimals: Set = ["natSampledHoursAgo", "updatedHoursAgo"]
        var people: [[String: Any]] = []
        var row = 0
        while let cells = reader.next() {
            defer { row += 1 }
            guard cells.count == header.count else {
                problems.append(.init(row: row, field: "file", reason: "\(cells.count) cells, the header has \(header.count)"))
                continue
            }
            var fields: [String: String] = [:]
            for (name, cell) in zip(header, cells) where !cell.isEmpty { fields[name] = cell }
            var person: [String: Any] = [:]
            var popup: [String: Any] = [:]
            var nat: [String: Any] = [:]
            var vaccination: [String: Any] = [:]
            for (name, cell) in fields {
                let value: Any
                if integers.contains(name) {
                    guard let number = Int(cell) else {
                        problems.append(.init(row: row, field: name, reason: "not a whole number"))
                        continue
                    }
                    value = number
                } else if decimals.contains(name) {
                    guard let number = Double(cell), number.isFinite else {
                        problems.append(.init(row: row, field: name, reason: "not a number"))
                        continue
                    }
                    value = number
                } else {
                    value = cell
                }
                switch name {
                case "popupCode": popup["code"] = value
                case "popupZh": popup["zh"] = value
                case "popupEn": popup["en"] = value
                case "natResult": nat["result"] = value
                case "natSampledAt": nat["sampledAt"] = value
                case "natSampledHoursAgo": nat["sampledHoursAgo"] = value
                case "vaccineDoses": vaccination["doses"] = value
                case "lastDose": vaccination["lastDose"] = value
                default: person[name] = value
                }
            }
            if !popup.isEmpty {
                if popup["code"] == nil { problems.append(.init(row: row, field: "popupCode", reason: "pop-up text without a code")) }
                person["popup"] = popup
            }
            if !nat.isEmpty { person["nat"] = nat }
            if !vaccination.isEmpty { person["vaccination"] = vaccination }
            people.append(person)
        }
        if let error = reader.error {
            problems.append(.init(row: row, field: "file", reason: "malformed CSV: \(error)"))
        }
        guard problems.isEmpty else { throw PeopleFileError(problems: problems) }
        do {
            return try JSONSerialization.data(withJSONObject: ["people": people], options: [.sortedKeys])
        } catch {
            throw PeopleFileError(problems: [.init(row: nil, field: "file", reason: "cannot convert: \(error)")])
        }
    }
}

extension PeopleFile {
    /// Reads a people file as the JSON ``parse(_:now:timeZone:)`` takes: a `.csv` file (any case) is converted with
    /// ``json(fromCSV:)``, anything else is returned as it is (JSON).
    /// - Throws: ``PeopleFileError`` when the file cannot be read, is not UTF-8 CSV, or has CSV problems.
    public static func contents(of file: URL) throws(PeopleFileError) -> Data {
        let data: Data
        do { data = try Data(contentsOf: file) } catch {
            throw PeopleFileError(problems: [.init(row: nil, field: "file", reason: "cannot read \(file.path)")])
        }
        guard isCSV(file) else { return data }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PeopleFileError(problems: [.init(row: nil, field: "file", reason: "a CSV people file must be UTF-8")])
        }
        do { return try json(fromCSV: text) } catch { throw error.numberedAsCSVRows() }
    }

    /// Whether `file` is read as CSV (its extension is `.csv`, any case). Errors of parsing such a file should be
    /// described with ``PeopleFileError/numberedAsCSVRows()``.
    public static func isCSV(_ file: URL) -> Bool { file.pathExtension.lowercased() == "csv" }
}
