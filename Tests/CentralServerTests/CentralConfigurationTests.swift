import CentralServer
import Foundation
import Testing

/// The files `kiosk-central serve` reads: problems name the option, the path, the reason and what to do.
struct CentralConfigurationTests {
    @Test func aMissingSigningKeySaysHowToMakeOne() throws {
        let path = "/nonexistent-\(UUID().uuidString)/signing.key"
        do {
            _ = try CentralConfiguration.loadSigningKey(contentsOf: URL(fileURLWithPath: path))
            Issue.record("a missing key file was read")
        } catch let error as CentralConfigurationError {
            #expect(error.description.contains("--signing-key \(path): cannot read (No such file or directory)"))
            #expect(error.description.contains("kiosk-central keygen --out \(path)"))
        }
    }

    @Test func keyAndTokenFilesRoundTripAndBadOnesAreNamed() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("central-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let keyFile = dir.appendingPathComponent("signing.key")
        let publicKey = try CentralConfiguration.writeNewSigningKey(to: keyFile)
        let key = try CentralConfiguration.loadSigningKey(contentsOf: keyFile)
        #expect(CentralConfiguration.publicKeyBase64(of: key) == publicKey)

        let short = dir.appendingPathComponent("short.key")
        try Data([1, 2, 3]).write(to: short)
        #expect(throws: CentralConfigurationError.self) { try CentralConfiguration.loadSigningKey(contentsOf: short) }

        let tokens = dir.appendingPathComponent("tokens")
        try Data("# kiosks\nsecret-1 kiosk-1\n\nsecret-2\tkiosk-2\n".utf8).write(to: tokens)
        #expect(try CentralConfiguration.loadTokens(contentsOf: tokens) == ["secret-1": "kiosk-1", "secret-2": "kiosk-2"])

        let missing = dir.appendingPathComponent("no-tokens")
        do {
            _ = try CentralConfiguration.loadTokens(contentsOf: missing)
            Issue.record("a missing token file was read")
        } catch let error as CentralConfigurationError {
            #expect(error.description.hasPrefix("--tokens \(missing.path): cannot read (No such file or directory)"))
        }
        try Data("secret-1 kiosk-1 extra\n".utf8).write(to: tokens)
        do {
            _ = try CentralConfiguration.loadTokens(contentsOf: tokens)
            Issue.record("a malformed token line was accepted")
        } catch let error as CentralConfigurationError {
            #expect(error.description == "token file line 1: expected `token kiosk-id`")
        }
    }
}
