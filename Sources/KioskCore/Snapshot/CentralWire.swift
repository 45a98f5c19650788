public import Foundation

/// The JSON shapes of the central-service contract (openapi/kiosk-central.yaml), shared by the centre
/// (`CentralServer`, which encodes answers and decodes requests) and the kiosk (`CentralClient`, the other way round),
/// so the two sides cannot drift apart. Decoding is strict: a missing field, a wrong type, an unknown status or
/// result value or an unparsable time is an error, never a default.
public enum CentralWire {
    /// `POST /v1/status/lookup` body: up to 4 subject keys of one epoch.
    public struct LookupRequest: Codable, Sendable {
        public struct Subject: Codable, Sendable {
            public var key: SubjectKey
            public init(key: SubjectKey) { self.key = key }
        }
        public var epoch: Int
        public var subjects: [Subject]

        public init(epoch: Int, subjects: [Subject]) {
            self.epoch = epoch
            self.subjects = subjects
        }
    }

    /// The lookup answer: one result per subject, in request order; `record` absent for an unknown key.
    public struct LookupResponse: Codable, Sendable {
        public struct Result: Codable, Sendable {
            public var key: SubjectKey
            public var record: Record?
            public init(key: SubjectKey, record: Record?) {
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
    }

    /// `StatusRecord` of the contract. `popup.zh`/`en` are present only when the text differs from the kiosk's
    /// built-in text for the code (the same rule as the payload's text flag).
    public struct Record: Codable, Sendable {
        public struct PopupWire: Codable, Sendable {
            public var code: Int
            public var zh: String?
            public var en: String?
        }
        public struct NAT: Codable, Sendable {
            public var sampledAt: WireTime
            public var result: NucleicAcidTest.Result
        }
        public struct VaccinationWire: Codable, Sendable {
            public var doses: Int
            public var lastDose: WireDate?
        }
        public var status: HealthStatus
        public var popup: PopupWire?
        public var nat: NAT?
        public var vaccination: VaccinationWire?
        public var commuterUntil: WireDate?
        public var updatedAt: WireTime

        /// The wire form of a record.
        public init(_ record: StatusRecord) {
            status = record.status
            popup = record.popup.map { popup in
                let text = PackedStatus.customPopupText(of: record)
                return PopupWire(code: popup.code, zh: text?.zh, en: text?.en)
            }
            nat = record.nucleicAcidTest.map { NAT(sampledAt: WireTime($0.sampledAt), result: $0.result) }
            vaccination = record.vaccination.map {
                VaccinationWire(doses: $0.doses, lastDose: $0.lastDose.map(WireDate.init))
            }
            commuterUntil = record.commuter.map { WireDate($0.validUntil) }
            updatedAt = WireTime(record.updatedAt)
        }

        /// The record this wire form describes.
        /// - Throws: ``FormatError`` for a pop-up code below 1 or negative doses.
        public func statusRecord() throws(FormatError) -> StatusRecord {
            var popupValue: Popup?
            if let popup {
                guard popup.code >= 1 else { throw FormatError("popup.code must be at least 1") }
                let guidance = popup.zh.flatMap { zh in popup.en.map { Guidance(zh: zh, en: $0) } }
                popupValue = Popup(code: popup.code, guidance: guidance)
            }
            if let vaccination, vaccination.doses < 0 { throw FormatError("vaccination.doses must not be negative") }
            return StatusRecord(
                status: status, popup: popupValue,
                nucleicAcidTest: nat.map { NucleicAcidTest(sampledAt: $0.sampledAt.date, result: $0.result) },
                vaccination: vaccination.map { Vaccination(doses: $0.doses, lastDose: $0.lastDose?.date) },
                commuter: commuterUntil.map { CommuterMark(validUntil: $0.date) },
                updatedAt: updatedAt.date)
        }
    }

    /// `POST /v1/visits` body: at most 500 visits, each with the UUID that makes a retry harmless.
    public struct VisitBatch: Codable, Sendable {
        public struct VisitWire: Codable, Sendable {
            public var id: String
            public var at: String
            public var subjectKey: SubjectKey?
            public var epoch: Int?
            public var result: String
            public var provenance: String

            public init(
                id: String, at: String, subjectKey: SubjectKey?, epoch: Int?, result: String, provenance: String
            ) {
                self.id = id
                self.at = at
                self.subjectKey = subjectKey
                self.epoch = epoch
                self.result = result
                self.provenance = provenance
            }
        }
        public var visits: [VisitWire]

        public init(visits: [VisitWire]) { self.visits = visits }
    }

    /// What the centre stored of a visit batch.
    public struct VisitReceipt: Codable, Sendable {
        public var accepted: Int
        public var duplicates: Int

        public init(accepted: Int, duplicates: Int) {
            self.accepted = accepted
            self.duplicates = duplicates
        }
    }

    /// A wire value that breaks a rule of the contract.
    public struct FormatError: Error, Sendable, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// RFC 3339 UTC in whole seconds (`2026-11-29T08:00:00Z`), the form every decoder accepts.
    public static func timestamp(_ date: Date) -> String {
        Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
            .formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!))
    }

    /// Parses RFC 3339 with or without fractional seconds.
    public static func parseTime(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
        return try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }
}

/// An RFC 3339 time on the wire (encoded as UTC whole seconds).
public struct WireTime: Codable, Sendable {
    public var date: Date

    public init(_ date: Date) { self.date = date }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = CentralWire.parseTime(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not RFC 3339"))
        }
        self.date = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(CentralWire.timestamp(date))
    }
}

/// A `YYYY-MM-DD` date on the wire.
public struct WireDate: Codable, Sendable {
    public var date: CalendarDate

    public init(_ date: CalendarDate) { self.date = date }

    public init(from decoder: any Decoder) throws {
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

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(date.description)
    }
}
