import CentralServer
import Foundation
import KioskCore
import Testing

/// Scale measurement, off by default: `CENTRAL_SCALE=500000 swift test --filter CentralScaleTests` imports that many
/// people (two identities each) and builds the full payload, printing times and bytes per subject.
@Suite("Central service at scale")
struct CentralScaleTests {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["CENTRAL_SCALE"] != nil))
    func importAndBuildAFullPayload() async throws {
        let people = Int(ProcessInfo.processInfo.environment["CENTRAL_SCALE"]!)!
        let harness = try CentralHarness()
        var rows: [[String: Any]] = []
        rows.reserveCapacity(people)
        for i in 0..<people {
            let body = String(format: "%06d19800101%03d", 110_000 + i / 1000, i % 1000)
            rows.append([
                "idNumber": TestPerson.idNumber(body), "sscCardNumber": String(format: "A%08d", i),
                "status": ["normal", "homeObservation", "centralizedObservation"][i % 3],
                "updatedAt": "2026-05-28T00:00:00Z",
                "nat": ["sampledAt": "2026-05-27T12:00:00Z", "result": "negative"],
            ])
        }
        let data = try JSONSerialization.data(withJSONObject: ["people": rows])
        let clock = ContinuousClock()
        var summary: CentralStore.ImportSummary?
        let importTime = try clock.measure { summary = try harness.store.importPeople(data: data, now: harness.now) }
        let publisher = try SnapshotPublisher(store: harness.store, configuration: harness.configuration)
        var manifest: SnapshotManifest?
        let buildTime = try await clock.measure { manifest = try await publisher.manifest(since: nil) }
        let full = try #require(manifest).full
        let subjects = try #require(summary).subjects
        let database = try FileManager.default.attributesOfItem(atPath: harness.configuration.databasePath)[.size] as? Int ?? 0
        print(
            "scale: \(people) people, \(subjects) subject keys; import \(importTime); full payload build \(buildTime); "
                + "payload \(full.bytes) bytes = \(Double(full.bytes) / Double(subjects)) bytes/subject; "
                + "database \(database) bytes")
        let payloadBytes = try Data(contentsOf: URL(fileURLWithPath: harness.configuration.payloadDirectory).appendingPathComponent(full.sha256))
        let parseTime = try clock.measure { _ = try SnapshotPayload.decode(payloadBytes) }
        print("scale: full payload decode \(parseTime)")
    }
}
