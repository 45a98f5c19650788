import Crypto
import Foundation
import FuzzSupport
import KioskCore

/// Signed snapshot manifests as the kiosk receives them (`JSONDecoder().decode(SnapshotManifest.self, …)`, as
/// SnapshotSync does), their canonical bytes, signature verification against the pinned key, the epoch key, and
/// payload references.
///
/// Invariants: decoding and verification never trap; the canonical bytes are valid JSON holding the manifest's
/// values; a decoded manifest encodes to JSON that decodes to the same manifest with the same canonical bytes; a
/// manifest signed with the key verifies with its public key unless its epoch key is malformed, and stops verifying
/// when a signed field changes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSnapshotManifest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = FuzzInput(data, size).bytes
    guard let manifest = try? JSONDecoder().decode(SnapshotManifest.self, from: Data(bytes)) else { return 0 }

    let canonical = manifest.canonicalBytes()
    guard let object = try? JSONSerialization.jsonObject(with: Data(canonical)) as? [String: Any] else {
        invariant(false, "canonical bytes are not a JSON object")
        return 0
    }
    invariant(object["epochKey"] as? String == manifest.epochKey, "canonical epochKey differs")
    invariant((object["epoch"] as? NSNumber)?.intValue == manifest.epoch, "canonical epoch differs")
    invariant(
        ((object["full"] as? [String: Any])?["url"] as? String) == manifest.full.url, "canonical full.url differs")
    invariant((object["delta"] == nil) == (manifest.delta == nil), "canonical delta presence differs")
    invariant(object["signature"] == nil, "canonical bytes hold the signature")

    guard let json = try? JSONEncoder().encode(manifest) else {
        invariant(false, "a decoded manifest does not encode")
        return 0
    }
    let again = try? JSONDecoder().decode(SnapshotManifest.self, from: json)
    invariant(again == manifest, "the re-encoded manifest decodes differently")
    invariant(again?.canonicalBytes() == canonical, "canonical bytes change through a JSON round trip")

    let verdict = Result { () throws(SnapshotFormatError) in try manifest.verify(publicKey: pinnedKey.publicKey) }
    if case .failure(let error) = verdict {
        invariant(error.code == .badSignature || error.code == .badEpochKey, "verify threw \(error)")
    }
    let epochKey = Result { () throws(SnapshotFormatError) in try manifest.epochKeyValue }
    let signed = manifest.signed(with: pinnedKey)
    switch (epochKey, Result { () throws(SnapshotFormatError) in try signed.verify(publicKey: pinnedKey.publicKey) }) {
    case (.success(let key), .success):
        invariant(key.bytes.count == 32 && key.epoch == manifest.epoch, "epoch key")
    case (.failure, .failure(let error)):
        invariant(error.code == .badEpochKey, "a manifest signed with the key fails with \(error)")
    default:
        invariant(false, "verification of a freshly signed manifest disagrees with the epoch key check")
    }
    var tampered = signed
    tampered.records &+= 1
    invariant((try? tampered.verify(publicKey: pinnedKey.publicKey)) == nil, "a changed record count still verifies")
    _ = manifest.full.matches(Data(bytes))
    return 0
}

/// The key of SnapshotManifestTests (32 bytes of 7).
let pinnedKey = try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 7, count: 32))

/// Seeds: the manifest of SnapshotManifestTests with and without a delta, signed with its key, as JSON.
@_cdecl("LLVMFuzzerInitialize")
public func initializeSnapshotManifest(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    writeSeedsIfAsked {
        func manifest(delta: Bool) -> SnapshotManifest {
            SnapshotManifest(
                epochKey: EpochKey(epoch: 3, bytes: Array(0..<32)), sequence: 42,
                createdAt: Date(timeIntervalSince1970: 1_714_550_400.75), maxAgeSeconds: 172_800, records: 2,
                full: PayloadReference(
                    url: "/v1/snapshots/payloads/aa", sha256: String(repeating: "a", count: 64), bytes: 111),
                delta: delta
                    ? PayloadReference(
                        url: "/v1/snapshots/payloads/bb", sha256: String(repeating: "b", count: 64), bytes: 62,
                        fromSequence: 40)
                    : nil)
        }
        func unsigned(createdAt: String) -> [UInt8] {
            Array(
                (#"{"createdAt":""# + createdAt
                    + #"","epoch":3,"epochKey":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=","full":{"bytes":111,"#
                    + #""sha256":"aa","url":"\/v1\/a"},"maxAgeSeconds":60,"records":2,"sequence":42,"signature":""}"#)
                    .utf8)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return CardSeeds.unique([
            ("signed-with-delta", Array(try! encoder.encode(manifest(delta: true).signed(with: pinnedKey)))),
            ("signed-full-only", Array(try! encoder.encode(manifest(delta: false).signed(with: pinnedKey)))),
            ("unsigned-offset-date", unsigned(createdAt: "2024-05-01T16:00:00.5+08:00")),
            // SnapshotManifestTests.createdAtOutsideYears0000To9999IsRejected: decoded once, now refused.
            ("year-minus-one", unsigned(createdAt: "0000-01-01T00:00:00+01:00")),
        ])
    }
    return 0
}

/// `main` (SwiftPM aliases it to `<module>_main`): libFuzzer's driver with this harness.
@_cdecl("fuzz_snapshot_manifest_main")
public func fuzz_snapshot_manifest_main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>)
    -> CInt
{
    runLibFuzzer(argc, argv, fuzzSnapshotManifest)
}
