import CentralServer
import Foundation
import HummingbirdTesting
import KioskCore
import Testing

@Suite("Central service privacy (DESIGN.md §4)")
struct CentralPrivacyTests {
    /// After imports, payload builds, lookups and visits, no file the centre wrote (database, WAL, payloads) holds
    /// a raw ID number, PAN or name of the people file, in UTF-8 or as the PAN's/ID's ASCII.
    @Test func storedFilesHoldNoRawIdentityOrName() async throws {
        let harness = try CentralHarness()
        let people: [TestPerson] = [.zhang, .li, .wang, .zhao]
        try harness.importPeople(people)
        harness.advance(seconds: 60)
        try harness.importPeople(Array(people.dropLast()))
        try await harness.app().test(.router) { client in
            let manifest = try await CentralRouteTests.manifest(client, since: 1)
            _ = try await CentralRouteTests.payload(client, manifest.full)
            if let delta = manifest.delta { _ = try await CentralRouteTests.payload(client, delta) }
        }
        let secrets = people.flatMap { [$0.name, $0.idNumber] + ($0.pan.map { [$0] } ?? []) }
            + people.map { String($0.idNumber.prefix(17)) }  // even without the check character
        var files: [URL] = []
        let enumerator = FileManager.default.enumerator(at: harness.directory, includingPropertiesForKeys: nil)!
        for case let url as URL in enumerator where !url.hasDirectoryPath { files.append(url) }
        #expect(files.contains { $0.lastPathComponent == "central.sqlite" })
        #expect(files.count >= 4)  // database, -wal, -shm, payloads
        for file in files {
            let bytes = try Data(contentsOf: file)
            for secret in secrets {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(file.lastPathComponent) holds a raw identity")
            }
        }
    }
}
