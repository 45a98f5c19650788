import Foundation
import GRDB
import KioskCore

/// How a ``StatusRecord`` was stored in `subject_status`, the column schema before migration `v3-packed-entries`.
/// Kept only so that migration can read an older kiosk's snapshot; new rows are ``PackedStatus`` bytes.
enum StatusRow {
    /// The columns ``record(from:offset:)`` reads, in order.
    static let columns = """
        status, popup_code, popup_zh, popup_en, nat_sampled_at, nat_result,
        vaccine_doses, vaccine_last_dose, commuter_until, updated_at
        """

    /// A stored value that does not decode: the database was written by something else. The local database is
    /// trusted, so this is a bug or a corrupt file, not bad input.
    struct CorruptRow: Error, CustomStringConvertible {
        var column: String
        var description: String { "snapshot column \(column) holds a value this build does not understand" }
    }

    static func status(code: Int) -> HealthStatus? {
        switch code {
        case 0: .normal
        case 1: .homeObservation
        case 2: .centralizedObservation
        default: nil
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

    static func calendarDate(_ value: Int) -> CalendarDate? {
        CalendarDate(year: value / 10000, month: value / 100 % 100, day: value % 100)
    }

    /// Decodes the ``columns`` of a row, starting at column `offset`.
    static func record(from row: Row, offset o: Int = 0) throws -> StatusRecord {
        guard let status = status(code: row[o + 0]) else { throw CorruptRow(column: "status") }
        var popup: Popup?
        if let code: Int = row[o + 1] {
            let zh: String? = row[o + 2]
            let en: String? = row[o + 3]
            popup = Popup(code: code, guidance: zh.flatMap { zh in en.map { Guidance(zh: zh, en: $0) } })
        }
        var test: NucleicAcidTest?
        if let sampledAt: Int64 = row[o + 4], let resultCode: Int = row[o + 5] {
            guard let result = result(code: resultCode) else { throw CorruptRow(column: "nat_result") }
            test = NucleicAcidTest(sampledAt: Date(timeIntervalSince1970: TimeInterval(sampledAt)), result: result)
        }
        var vaccination: Vaccination?
        if let doses: Int = row[o + 6] {
            let lastDose: Int? = row[o + 7]
            vaccination = Vaccination(doses: doses, lastDose: lastDose.flatMap(calendarDate))
        }
        var commuter: CommuterMark?
        if let until: Int = row[o + 8] {
            guard let date = calendarDate(until) else { throw CorruptRow(column: "commuter_until") }
            commuter = CommuterMark(validUntil: date)
        }
        return StatusRecord(
            status: status, popup: popup, nucleicAcidTest: test, vaccination: vaccination, commuter: commuter,
            updatedAt: Date(timeIntervalSince1970: TimeInterval(row[o + 9] as Int64)))
    }
}
