import CentralServer
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KioskCore
import Logging
import Synchronization
import Testing

/// A temporary central service: database and payloads in a fresh directory, a settable clock, one kiosk token.
final class CentralHarness: Sendable {
    let directory: URL
    let store: CentralStore
    let configuration: CentralConfiguration
    let signingKey: Curve25519.Signing.PrivateKey
    let clock: SharedClock

    static let token = "token-kiosk-1"
    static let kioskID = "kiosk-1"
    static let start = Date(timeIntervalSince1970: 1_780_000_000)  // 2026-05-28
    static let headers: HTTPFields = [
        .authorization: "Bearer \(token)", HTTPField.Name("Kiosk-ID")!: kioskID,
        HTTPField.Name("Venue-ID")!: "venue-7", .contentType: "application/json",
    ]

    init(retentionSeconds: Int = 7 * 86400, port: Int = 0) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("central-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        signingKey = Curve25519.Signing.PrivateKey()
        let clock = SharedClock(Self.start)
        self.clock = clock
        configuration = CentralConfiguration(
            databasePath: directory.appendingPathComponent("central.sqlite").path,
            signingKey: signingKey, deviceTokens: [Self.token: Self.kioskID, "token-kiosk-2": "kiosk-2"],
            deltaRetentionSeconds: retentionSeconds, host: "127.0.0.1", port: port, now: { clock.now })
        store = try CentralStore(path: configuration.databasePath, deltaRetentionSeconds: retentionSeconds)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    var now: Date { clock.now }
    /// Where the centre writes its payload files.
    var payloadDirectory: String { configuration.payloadDirectory }
    func advance(seconds: TimeInterval) { clock.value.withLock { $0 += seconds } }

    func app() throws -> some ApplicationProtocol {
        try makeCentralApplication(configuration: configuration, store: store, logger: Logger(label: "test"))
    }

    @discardableResult
    func importPeople(_ people: [TestPerson]) throws -> CentralStore.ImportSummary {
        try store.importPeople(data: TestPerson.file(people), now: now, timeZone: TimeZone(identifier: "UTC")!)
    }

    /// The subject keys of a person in the current epoch, ID number first.
    func keys(of person: TestPerson) throws -> [SubjectKey] {
        let epochKey = try #require(try store.state()).epochKey
        return person.identities.map { SubjectKey(identity: $0, epochKey: epochKey) }
    }
}

/// A settable clock shared with the configuration's `now` closure.
final class SharedClock: Sendable {
    let value: Mutex<Date>
    init(_ start: Date) { value = Mutex(start) }
    var now: Date { value.withLock { $0 } }
}

/// A person of a test people file, with valid check digits.
struct TestPerson: Sendable {
    var name: String
    var idNumber: String
    var pan: String?
    var status: String = "normal"
    var popup: [String: any Sendable]?
    var natNegative = false

    var identities: [Identity] {
        [Identity(kind: .residentID, value: idNumber, isValidated: true)]
            + (pan.map { [Identity(kind: .bankCardPAN, value: $0, isValidated: true)] } ?? [])
    }

    /// A resident ID number with a correct GB 11643 check character, from 17 digits.
    static func idNumber(_ first17: String) -> String {
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        let sum = zip(first17, weights).reduce(0) { $0 + Int(String($1.0))! * $1.1 }
        return first17 + String(Array("10X98765432")[sum % 11])
    }

    /// A PAN with a correct Luhn check digit.
    static func pan(_ body: String) -> String {
        var sum = 0
        for (index, char) in body.reversed().enumerated() {
            var digit = Int(String(char))!
            if index % 2 == 0 {
                digit *= 2
                if digit > 9 { digit -= 9 }
            }
            sum += digit
        }
        return body + String((10 - sum % 10) % 10)
    }

    static func file(_ people: [TestPerson]) throws -> Data {
        let rows: [[String: Any]] = people.map { person in
            // Absolute times, so a re-import of an unchanged person is no change (relative ones move with `now`).
            var row: [String: Any] = [
                "name": person.name, "idNumber": person.idNumber, "status": person.status,
                "updatedAt": "2026-05-28T00:00:00Z",
            ]
            if let pan = person.pan { row["pan"] = pan }
            if let popup = person.popup { row["popup"] = popup }
            if person.natNegative { row["nat"] = ["sampledAt": "2026-05-27T12:00:00Z", "result": "negative"] }
            return row
        }
        return try JSONSerialization.data(withJSONObject: ["source": "test", "people": rows])
    }

    static let zhang = TestPerson(
        name: "张三明", idNumber: idNumber("11010519491231002"), pan: pan("622202000000000000"), natNegative: true)
    static let li = TestPerson(
        name: "李四", idNumber: idNumber("11010119800101123"), status: "homeObservation", popup: ["code": 2])
    static let wang = TestPerson(
        name: "Wang Xiaoli", idNumber: idNumber("44030619900704567"), pan: pan("621700000000123456"),
        status: "centralizedObservation")
    static let zhao = TestPerson(
        name: "赵六", idNumber: idNumber("32010219751111888"),
        popup: ["code": 42, "zh": "请到社区报到", "en": "Report to your community"])
}
