import Foundation
import KioskCore

/// JSON shapes of openapi/kiosk-central.yaml, as the centre reads and writes them.
enum CentralWire {
    struct LookupRequest: Decodable {
        struct Subject: Decodable { var key: SubjectKey }
        var epoch: Int
        var subjects: [Subject]
    }

    struct LookupResponse: Encodable {
        struct Result: Encodable {
            var key: SubjectKey
            var record: Record?
        }
        var epoch: Int
        var results: [Result]
    }

    /// `StatusRecord` of the contract. `popup.zh`/`en` are present only when the text differs from the kiosk's
    /// built-in text for the code (the same rule as the payload's text flag).
    struct Record: Encodable {
        struct PopupWire: Encodable {
            var code: Int
            var zh: String?
            var en: String?
        }
        struct NAT: Encodable {
            var sampledAt: String
            var result: String
        }
        struct VaccinationWire: Encodable {
            var doses: Int
            var lastDose: String?
        }
        var status: String
        var popup: PopupWire?
        var nat: NAT?
        var vaccination: VaccinationWire?
        var commuterUntil: String?
        var updatedAt: String

        init(_ record: StatusRecord) {
            status = record.status.rawValue
            popup = record.popup.map { popup in
                let text = PackedStatus.customPopupText(of: record)
                return PopupWire(code: popup.code, zh: text?.zh, en: text?.en)
            }
            nat = record.nucleicAcidTest.map {
                NAT(sampledAt: CentralWire.timestamp($0.sampledAt), result: $0.result.rawValue)
            }
            vaccination = record.vaccination.map { VaccinationWire(doses: $0.doses, lastDose: $0.lastDose?.description) }
            commuterUntil = record.commuter?.validUntil.description
            updatedAt = CentralWire.timestamp(record.updatedAt)
        }
    }

    struct VisitBatch: Decodable {
        struct VisitWire: Decodable {
            var id: String
            var at: String
            var subjectKey: SubjectKey?
            var epoch: Int?
            var result: String
            var provenance: String
        }
        var visits: [VisitWire]
    }

    struct VisitReceipt: Encodable {
        var accepted: Int
        var duplicates: Int
    }

    /// RFC 3339 UTC, whole seconds.
    static func timestamp(_ date: Date) -> String {
        Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
            .formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!))
    }

    /// RFC 3339 with or without fractional seconds.
    static func parseTime(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
        return try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }
}
