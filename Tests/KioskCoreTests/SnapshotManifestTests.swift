import Crypto
import Foundation
import KioskCore
import Testing

@Suite("Snapshot manifest (DESIGN.md §5)")
struct SnapshotManifestTests {
    static let signingKey = try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 7, count: 32))

    static func manifest(delta: Bool = true) -> SnapshotManifest {
        SnapshotManifest(
            epochKey: EpochKey(epoch: 3, bytes: Array(0..<32)), sequence: 42,
            createdAt: Date(timeIntervalSince1970: 1_714_550_400.75), maxAgeSeconds: 172_800, records: 2,
            full: PayloadReference(url: "/v1/snapshots/payloads/aa", sha256: String(repeating: "a", count: 64), bytes: 111),
            delta: delta
                ? PayloadReference(
                    url: "/v1/snapshots/payloads/bb", sha256: String(repeating: "b", count: 64), bytes: 62,
                    fromSequence: 40)
                : nil)
    }

    @Test func canonicalBytesAreSortedCompactAndStable() {
        let text = String(decoding: Self.manifest().canonicalBytes(), as: UTF8.self)
        #expect(
            text
                == #"{"createdAt":"2024-05-01T08:00:00Z","delta":{"bytes":62,"fromSequence":40,"sha256":"\#(String(repeating: "b", count: 64))","url":"/v1/snapshots/payloads/bb"},"epoch":3,"epochKey":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=","full":{"bytes":111,"sha256":"\#(String(repeating: "a", count: 64))","url":"/v1/snapshots/payloads/aa"},"maxAgeSeconds":172800,"records":2,"sequence":42}"#
        )
        #expect(!text.contains("signature"))
        let noDelta = String(decoding: Self.manifest(delta: false).canonicalBytes(), as: UTF8.self)
        #expect(!noDelta.contains("delta") && !noDelta.contains("null"))
    }

    @Test func canonicalBytesIgnoreTheSignatureAndSurviveAJSONRoundTrip() throws {
        let signed = Self.manifest().signed(with: Self.signingKey)
        #expect(signed.canonicalBytes() == Self.manifest().canonicalBytes())
        for strategy in [JSONEncoder.DateEncodingStrategy.deferredToDate, .secondsSince1970, .iso8601] {
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = strategy
            let data = try encoder.encode(signed)
            #expect(String(decoding: data, as: UTF8.self).contains(#""createdAt":"2024-05-01T08:00:00Z""#))
            let decoded = try JSONDecoder().decode(SnapshotManifest.self, from: data)
            #expect(decoded == signed)
            #expect(decoded.canonicalBytes() == signed.canonicalBytes())
            try decoded.verify(publicKey: Self.signingKey.publicKey)
        }
    }

    @Test func escapesStringsAsJSONRequires() {
        var m = Self.manifest(delta: false)
        m.full.url = "a\"b\\c\n\u{1}中"
        let text = String(decoding: m.canonicalBytes(), as: UTF8.self)
        #expect(text.contains(#""url":"a\"b\\c\n\u0001中""#))
        let parsed = try? JSONSerialization.jsonObject(with: Data(m.canonicalBytes())) as? [String: Any]
        #expect((parsed?["full"] as? [String: Any])?["url"] as? String == m.full.url)
    }

    @Test func signatureVerifiesWithThePublicKey() throws {
        let signed = Self.manifest().signed(with: Self.signingKey)
        try signed.verify(publicKey: Self.signingKey.publicKey)
        #expect(try signed.epochKeyValue == EpochKey(epoch: 3, bytes: Array(0..<32)))
    }

    @Test func tamperingBreaksTheSignature() {
        let signed = Self.manifest().signed(with: Self.signingKey)
        let tampers: [(inout SnapshotManifest) -> Void] = [
            { $0.sequence += 1 }, { $0.epoch += 1 }, { $0.records = 3 }, { $0.maxAgeSeconds *= 2 },
            { $0.createdAt += 1 }, { $0.full.sha256 = String(repeating: "c", count: 64) }, { $0.delta = nil },
            { $0.delta?.fromSequence = 41 }, { $0.epochKey = Data(repeating: 9, count: 32).base64EncodedString() },
        ]
        for tamper in tampers {
            var copy = signed
            tamper(&copy)
            #expect(throws: SnapshotFormatError(.badSignature)) { try copy.verify(publicKey: Self.signingKey.publicKey) }
        }
        let otherKey = Curve25519.Signing.PrivateKey().publicKey
        #expect(throws: SnapshotFormatError(.badSignature)) { try signed.verify(publicKey: otherKey) }
        var garbled = signed
        garbled.signature = "not base64!"
        #expect(throws: SnapshotFormatError(.badSignature)) { try garbled.verify(publicKey: Self.signingKey.publicKey) }
    }

    @Test func malformedEpochKeyIsRejected() {
        var m = Self.manifest()
        m.epochKey = Data(repeating: 1, count: 16).base64EncodedString()
        #expect(throws: SnapshotFormatError(.badEpochKey)) { try m.epochKeyValue }
        let signed = m.signed(with: Self.signingKey)
        #expect(throws: SnapshotFormatError(.badEpochKey)) { try signed.verify(publicKey: Self.signingKey.publicKey) }
    }

    @Test func acceptsRFC3339WithOffsetsAndFractions() throws {
        let signed = Self.manifest(delta: false).signed(with: Self.signingKey)
        var json = String(decoding: try JSONEncoder().encode(signed), as: UTF8.self)
        json = json.replacingOccurrences(of: "2024-05-01T08:00:00Z", with: "2024-05-01T16:00:00.999+08:00")
        let decoded = try JSONDecoder().decode(SnapshotManifest.self, from: Data(json.utf8))
        #expect(decoded.createdAt == signed.createdAt)
        json = json.replacingOccurrences(of: "2024-05-01T16:00:00.999+08:00", with: "yesterday")
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(SnapshotManifest.self, from: Data(json.utf8)) }
    }

    /// Found with the `snapshot-manifest` harness (Fuzz/, on a hand-made input): `0000-01-01T00:00:00+01:00` is
    /// 1 hour before year 0 began, so it decoded to an instant that `createdAt` could not be written back as (the
    /// canonical bytes said `00-1-12-31T23:00:00Z`, which no longer decodes). Instants outside 0000…9999 are now a
    /// decoding error, in both directions of an offset.
    @Test func createdAtOutsideYears0000To9999IsRejected() throws {
        let signed = Self.manifest(delta: false).signed(with: Self.signingKey)
        let json = String(decoding: try JSONEncoder().encode(signed), as: UTF8.self)
        func decode(_ createdAt: String) throws -> SnapshotManifest {
            try JSONDecoder().decode(
                SnapshotManifest.self,
                from: Data(json.replacingOccurrences(of: "2024-05-01T08:00:00Z", with: createdAt).utf8))
        }
        for outside in ["0000-01-01T00:00:00+01:00", "9999-12-31T23:59:59-00:01", "9999-12-31T23:59:60Z"] {
            #expect(throws: DecodingError.self) { try decode(outside) }
        }
        for (text, canonical) in [
            ("0000-01-01T00:00:00Z", "0000-01-01T00:00:00Z"), ("0000-01-01T01:00:00+01:00", "0000-01-01T00:00:00Z"),
            ("9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z"),
        ] {
            let manifest = try decode(text)
            #expect(String(decoding: manifest.canonicalBytes(), as: UTF8.self).contains("\"createdAt\":\"\(canonical)\""))
            let again = try JSONDecoder().decode(SnapshotManifest.self, from: try JSONEncoder().encode(manifest))
            #expect(again == manifest)
        }
    }
}
