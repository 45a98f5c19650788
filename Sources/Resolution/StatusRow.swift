import Foundation
import GRDB
import KioskCore

/// How a ``StatusRecord`` is stored in `subject_status`. The integer codes are part of the file format: never
/// renumber them; add new values at the end (and widen the CHECK in a new migration).
enum StatusRow {
    static let insertSQL = """
        INSERT INTO subject_status
            (subject_key, status, popup_code, popup_zh, popup_en, nat_sampled_at, nat_result,
             vaccine_doses, vaccine_last_dose, commuter_until, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    static let selectSQL = """
        SELECT status, popup_code, popup_zh, popup_en, nat_sampled_at, nat_result,
               vaccine_doses, vaccine_last_dose, commuter_until, updated_at
        FROM subject_status WHERE subject_key = ?
        """

    /// A stored value that does not decode: the database was written by something else. The local database is
    /// trusted, so this is a bug or a corrupt file, not bad input.
    struct CorruptRow: Error, CustomStringConvertible {
        var column: String
        var description: String { "subject_status.\(column) holds a value this build does not understand" }
    }

    static func statusCode(_ status: HealthStatus) -> Int {
        switch status {
        case .normal: 0
        case .homeObservation: 1
        case .centralizedObservation: 2
        }
    }

    static func status(code: Int) -> HealthStatus? {
        switch code {
        case 0: .normal
        case 1: .homeObservation
        case 2: .centralizedObservation
        default: nil
        }
    }

    static func resultCode(_ result: NucleicAcidTest.Result) -> Int {
        switch result {
        case .negative: 0
        case .positive: 1
        case .pending: 2
        }
    }

    static func result(code: Int) -> NucleicAcidTest.Result? {
        switch code {
        case 0: .negative
        case 1: .positive
        case 2: .pending
        default: nil
        }
    }

    /// Whole Unix seconds (floor).
    static func seconds(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970.rounded(.down)) }

    static func yyyymmdd(_ date: CalendarDate) -> Int { date.year * 10000 + date.month * 100 + date.day }

    static func calendarDate(_ value: Int) -> CalendarDate? {
        CalendarDate(year: value / 10000, month: value / 100 % 100, day: value % 100)
    }

    static func arguments(for entry: SnapshotEntry) -> StatementArguments {
        let record = entry.record
        // Popup text is stored only when it differs from the standard text of its code.
        var popupText: Guidance?
        if let popup = record.popup, popup.guidance != Popup(code: popup.code).guidance {
            popupText = popup.guidance
        }
        let arguments: [(any DatabaseValueConvertible)?] = [
            Data(entry.subjectKey.bytes),
            statusCode(record.status),
            record.popup?.code,
            popupText?.zh,
            popupText?.en,
            record.nucleicAcidTest.map { seconds($0.sampledAt) },
            record.nucleicAcidTest.map { resultCode($0.result) },
            record.vaccination?.doses,
            record.vaccination?.lastDose.map(yyyymmdd),
            record.commuter.map { yyyymmdd($0.validUntil) },
            seconds(record.updatedAt),
        ]
        return StatementArguments(arguments)
    }

    /// Decodes a row selected with ``selectSQL``.
    static func record(from row: Row) throws -> StatusRecord {
        guard let status = status(code: row[0]) else { throw CorruptRow(column: "status") }
        var popup: Popup?
        if let code: Int = row[1] {
            let zh: String? = row[2]
            let en: String? = row[3]
            popup = Popup(code: code, guidance: zh.flatMap { zh in en.map { Guidance(zh: zh, en: $0) } })
        }
        var test: NucleicAcidTest?
        if let sampledAt: Int64 = row[4], let resultCode: Int = row[5] {
            guard let result = result(code: resultCode) else { throw CorruptRow(column: "nat_result") }
            test = NucleicAcidTest(sampledAt: Date(timeIntervalSince1970: TimeInterval(sampledAt)), result: result)
        }
        var vaccination: Vaccination?
        if let doses: Int = row[6] {
            let lastDose: Int? = row[7]
            vaccination = Vaccination(doses: doses, lastDose: lastDose.flatMap(calendarDate))
        }
        var commuter: CommuterMark?
        if let until: Int = row[8] {
            guard let date = calendarDate(until) else { throw CorruptRow(column: "commuter_until") }
            commuter = CommuterMark(validUntil: date)
        }
        return StatusRecord(
            status: status, popup: popup, nucleicAcidTest: test, vaccination: vaccination, commuter: commuter,
            updatedAt: Date(timeIntervalSince1970: TimeInterval(row[9] as Int64)))
    }
}
