import Foundation
public import KioskCore

/// The centre's answer to one lookup (`POST /v1/status/lookup`): one result per subject, in request order.
public struct LookupAnswer: Sendable, Hashable {
    /// One subject's result: the record, or `nil` when the centre does not know the key.
    public struct Result: Sendable, Hashable {
        public var key: SubjectKey
        public var record: StatusRecord?

        public init(key: SubjectKey, record: StatusRecord?) {
            self.key = key
            self.record = record
        }
    }

    public var epoch: Int
    public var results: [Result]

    public init(epoch: Int, results: [Result]) {
        self.epoch = epoch
        self.results = results
    }

    /// The first result, in request order (strongest key first), that has a record (DESIGN.md §4).
    public var firstKnown: (key: SubjectKey, record: StatusRecord)? {
        for result in results { if let record = result.record { return (result.key, record) } }
        return nil
    }
}

/// What the centre said about an uploaded visit batch.
public struct VisitUploadReceipt: Sendable, Hashable {
    /// Visits stored for the first time.
    public var accepted: Int
    /// Visits the centre already had (a retry of an acknowledged batch).
    public var duplicates: Int

    public init(accepted: Int, duplicates: Int) {
        self.accepted = accepted
        self.duplicates = duplicates
    }
}

/// JSON shapes of the contract (openapi/kiosk-central.yaml). Decoding is strict: a missing field, a wrong type, an
/// unknown status or result value or an unparsable time is an error, never a default.
enum CentralWire {
    struct LookupRequest: Encodable {
        struct Subject: Encodable { var key: SubjectKey }
        var epoch: Int
        var subjects: [Subject]
    }

    struct LookupResponse: Decodable {
        struct Result: Decodable {
            var key: SubjectKey
            var record: Record?
        }
        var epoch: Int
        var results: [Result]
    }

    struct Record: Decodable {
        struct PopupWire: Decodable {
            var code: Int
            var zh: String?
            var en: String?
        }
        struct NAT: Decodable {
            var sampledAt: WireTime
            var result: NucleicAcidTest.Result
        }
        struct VaccinationWire: Decodable {
            var doses: Int
            var lastDose: WireDate?
        }
        var status: HealthStatus
        var popup: PopupWire?
        var nat: NAT?
        var vaccination: VaccinationWire?
        var commuterUntil: WireDate?
        var updatedAt: WireTime

        func statusRecord() throws -> StatusRecord {
            var popupValue: Popup?
            if let popup {
                guard popup.code >= 1 else { throw WireError("popup.code must be at least 1") }
                let guidance = popup.zh.flatMap { zh in popup.en.map { Guidance(zh: zh, en: $0) } }
                popupValue = Popup(code: popup.code, guidance: guidance)
            }
            if let vaccination, vaccination.doses < 0 { throw WireError("vaccination.doses must not be negative") }
            return StatusRecord(
                status: status, popup: popupValue,
                nucleicAcidTest: nat.map { NucleicAcidTest(sampledAt: $0.sampledAt.date, result: $0.result) },
                vaccination: vaccination.map { Vaccination(doses: $0.doses, lastDose: $0.lastDose?.date) },
                commuter: commuterUntil.map { CommuterMark(validUntil: $0.date) },
                updatedAt: updatedAt.date)
        }
    }

    struct VisitBatch: Encodable {
        struct VisitWire: Encodable {
            var id: String
            var at: String
            var subjectKey: SubjectKey?
            var epoch: Int?
            var result: String
            var provenance: String
        }
        var visits: [VisitWire]

        init(_ visits: [Visit]) {
            self.visits = visits.map {
                VisitWire(
                    id: $0.id.uuidString.lowercased(), at: CentralWire.timestamp($0.at), subjectKey: $0.subjectKey,
                    epoch: $0.subjectKey == nil ? nil : $0.epoch, result: $0.result, provenance: $0.provenance)
            }
        }
    }

    struct VisitReceipt: Decodable {
        var accepted: Int
        var duplicates: Int
    }

    struct WireError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// RFC 3339 UTC in whole seconds (`2026-11-29T08:00:00Z`), the form every decoder accepts.
    static func timestamp(_ date: Date) -> String {
        Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
            .formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!))
    }

    /// Parses RFC 3339 with or without fractional seconds.
    static func parseTime(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
        return try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }
}

/// An RFC 3339 time on the wire.
struct WireTime: Decodable {
    var date: Date
    init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = CentralWire.parseTime(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not RFC 3339"))
        }
        self.date = date
    }
}

/// A `YYYY-MM-DD` date on the wire.
struct WireDate: Decodable {
    var date: CalendarDate
    init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
            let date = CalendarDate(year: y, month: m, day: d)
        else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not YYYY-MM-DD"))
        }
        self.date = date
    }
}
