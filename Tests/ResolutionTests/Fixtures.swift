import Foundation
import KioskCore
import Resolution

/// A fresh directory under the system temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("ResolutionTests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func write(_ text: String, to name: String) throws -> URL {
        let file = url.appendingPathComponent(name)
        try Data(text.utf8).write(to: file)
        return file
    }

    func remove() { try? FileManager.default.removeItem(at: url) }

    /// Bytes of the database file and its -wal and -shm companions.
    func databaseBytes(_ name: String) -> [Data] {
        [name, name + "-wal", name + "-shm"].compactMap { FileManager.default.contents(atPath: path($0)) }
    }
}

enum Demo {
    static let epochKeyHex = String(repeating: "5a", count: 16) + String(repeating: "c3", count: 16)
    static let epochKey = EpochKey(
        epoch: 7, bytes: Array(repeating: 0x5A, count: 16) + Array(repeating: 0xC3, count: 16))
    static let createdAt = Date(timeIntervalSince1970: 1_795_939_200)  // 2026-11-29T08:00:00Z
    static let createdAtISO = "2026-11-29T08:00:00Z"

    // Raw values that must never reach a database file.
    static let idNumber = "11010519491231002X"
    static let idNumberLower = "11010519491231002x"
    static let pan = "6299999900000000014"
    static let sscCard = "A12345678"
    static let permit = "810000195001010010"
    static let foreignPR = "USA310012345678"
    static let printedCode = "HC1:DEMO-TOKEN-0001"
    static let name = "张三明"
    static let secondID = "110101194605121231"
    static let secondPAN = "6222020000000000000"

    static let peopleFile = """
        {
          "epoch": 7,
          "epochKey": "\(epochKeyHex)",
          "sequence": 12,
          "createdAt": "\(createdAtISO)",
          "source": "demo",
          "people": [
            {
              "name": "\(name)",
              "idNumber": "\(idNumberLower)",
              "pan": "\(pan)",
              "sscCardNumber": "\(sscCard.lowercased())",
              "status": "normal",
              "popup": 2,
              "nat": { "sampledHoursAgo": 20, "result": "negative" },
              "vaccination": { "doses": 3, "lastDose": "2022-01-10" },
              "commuterDaysFromNow": 11
            },
            {
              "name": "Wang Xiao Li",
              "idNumber": "\(secondID)",
              "pan": "\(secondPAN)",
              "status": "homeObservation",
              "popup": { "code": 9, "zh": "请到社区登记", "en": "Please register with your community" },
              "nat": { "sampledAt": "2026-11-27T02:00:00Z", "result": "pending" },
              "commuterUntil": "2026-12-10",
              "updatedHoursAgo": 3
            },
            { "residencePermitNumber": "\(permit)", "status": "centralizedObservation" },
            { "foreignPRNumber": "\(foreignPR)", "status": "normal", "vaccination": { "doses": 0 } },
            { "printedCode": "\(printedCode)", "status": "normal" }
          ]
        }
        """

    static func identity(_ kind: IdentityKind, _ value: String, name: String? = nil) -> Identity {
        Identity(kind: kind, value: value, displayName: name, isValidated: true)
    }

    /// A record for store-level tests.
    static func record(_ status: HealthStatus, updatedAt: Date = createdAt) -> StatusRecord {
        StatusRecord(status: status, updatedAt: updatedAt)
    }

    static func metadata(sequence: Int = 1, createdAt: Date = createdAt) -> SnapshotMetadata {
        SnapshotMetadata(epochKey: epochKey, sequence: sequence, createdAt: createdAt, source: "test")
    }
}

extension Data {
    func contains(_ text: String) -> Bool { range(of: Data(text.utf8)) != nil }
}
