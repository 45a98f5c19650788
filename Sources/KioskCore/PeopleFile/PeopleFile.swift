import Foundation

/// The JSON people file (demo and reference-centre input; the format is documented on `SnapshotImporter` in
/// Resolution and on `CentralStore.importPeople` in CentralServer). Every field is optional here so that missing or
/// contradictory fields are reported per row by ``parse(_:now:timeZone:)`` rather than as one decoding failure.
///
/// Pure: no I/O. ``parse(_:now:timeZone:)`` gives, per person, the identities (kind + normalised value) and the
/// ``StatusRecord``; hashing them into subject keys is the caller's business (it knows the epoch key).
public struct PeopleFile: Decodable, Sendable {
    var epoch: Int?
    /// 64 hex characters; generated when absent.
    var epochKey: String?
    var sequence: Int?
    /// ISO 8601 (`2026-11-29T08:00:00Z`).
    var createdAt: String?
    /// Alternative to `createdAt`, relative to the import time.
    var createdHoursAgo: Double?
    var source: String?
    var people: [Person]

    struct Person: Decodable, Sendable {
        /// For the human reading the file (and demo card images); never imported.
        var name: String?
        var note: String?
        /// `false` for people who only exist as demo cards (an unknown card holder, a card with a bad check
        /// digit): the importer skips the row without validating it. Default `true`.
        var inSnapshot: Bool?

        var idNumber: String?
        var residencePermitNumber: String?
        var foreignPRNumber: String?
        var sscCardNumber: String?
        var pan: String?
        var printedCode: String?

        var status: String?
        var popup: PopupSpec?
        var nat: NATSpec?
        var vaccination: VaccinationSpec?
        var commuterUntil: String?
        var commuterDaysFromNow: Int?
        var updatedAt: String?
        var updatedHoursAgo: Double?
    }

    /// `2` or `{"code": 9, "zh": "…", "en": "…"}`.
    struct PopupSpec: Decodable, Sendable {
        var code: Int
        var zh: String?
        var en: String?

        private enum CodingKeys: String, CodingKey { case code, zh, en }

        init(from decoder: any Decoder) throws {
            if let code = try? decoder.singleValueContainer().decode(Int.self) {
                self.code = code
                return
            }
            let container = try decoder.container(keyedBy: CodingKeys.self)
            code = try container.decode(Int.self, forKey: .code)
            zh = try container.decodeIfPresent(String.self, forKey: .zh)
            en = try container.decodeIfPresent(String.self, forKey: .en)
        }
    }

    struct NATSpec: Decodable, Sendable {
        var sampledAt: String?
        var sampledHoursAgo: Double?
        var result: String?
    }

    struct VaccinationSpec: Decodable, Sendable {
        var doses: Int?
        var lastDose: String?
    }
}
