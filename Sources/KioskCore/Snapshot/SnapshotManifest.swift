public import Foundation
public import Crypto

/// Where a snapshot payload can be fetched, and how to check it (DESIGN.md §5).
public struct PayloadReference: Codable, Sendable, Hashable {
    /// Path of the payload on the central service, `/v1/snapshots/payloads/{sha256}`.
    public var url: String
    /// SHA-256 of the payload bytes, 64 lower-case hex characters.
    public var sha256: String
    /// Payload size in bytes.
    public var bytes: Int
    /// For a delta, the sequence it applies to (the kiosk's installed sequence); `nil` for a full payload.
    public var fromSequence: Int?

    public init(url: String, sha256: String, bytes: Int, fromSequence: Int? = nil) {
        self.url = url
        self.sha256 = sha256
        self.bytes = bytes
        self.fromSequence = fromSequence
    }

    /// Whether `data` is the payload this reference names (size and SHA-256).
    public func matches(_ data: some DataProtocol) -> Bool {
        data.count == bytes && SnapshotPayload.sha256Hex(of: data) == sha256
    }
}

/// The signed description of the current snapshot (DESIGN.md §5), served at `GET /v1/snapshots/manifest`.
///
/// The signature is Ed25519 over ``canonicalBytes()``: the manifest as JSON without `signature`, keys sorted by their
/// UTF-8 bytes, no white space, absent optionals omitted (never `null`), integers in decimal, dates as RFC 3339 UTC
/// with whole seconds (`2024-05-01T08:00:00Z`), strings escaped only where JSON requires (`\"`, `\\`, `\n`, `\r`,
/// `\t`, other controls as `\u00xx`; non-ASCII as raw UTF-8). That form is built by hand, so it does not depend on
/// `JSONEncoder` settings. ``createdAt`` is truncated to whole seconds on construction and decoding, so a decoded
/// manifest re-canonicalises to exactly the signed bytes.
///
/// On the wire (`Codable`) `createdAt` is the same RFC 3339 string, whatever the coder's date strategy.
public struct SnapshotManifest: Codable, Sendable, Hashable {
    /// Key epoch of the subject keys in the payloads.
    public var epoch: Int
    /// The epoch key, base64 of 32 bytes. See ``epochKeyValue``.
    public var epochKey: String
    /// Snapshot sequence; increases with every change, across epochs.
    public var sequence: Int
    /// When the centre built this snapshot (whole seconds).
    public var createdAt: Date {
        didSet { createdAt = Self.wholeSeconds(createdAt) }
    }
    /// How long after ``createdAt`` the snapshot may answer for.
    public var maxAgeSeconds: Int
    /// Number of subjects in the full payload.
    public var records: Int
    /// The full payload at ``sequence``.
    public var full: PayloadReference
    /// A delta from the requester's sequence to ``sequence``, when the centre has one.
    public var delta: PayloadReference?
    /// Ed25519 signature of ``canonicalBytes()``, base64; empty before ``signed(with:)``.
    public var signature: String

    public init(
        epoch: Int, epochKey: String, sequence: Int, createdAt: Date, maxAgeSeconds: Int, records: Int,
        full: PayloadReference, delta: PayloadReference? = nil, signature: String = ""
    ) {
        self.epoch = epoch
        self.epochKey = epochKey
        self.sequence = sequence
        self.createdAt = Self.wholeSeconds(createdAt)
        self.maxAgeSeconds = maxAgeSeconds
        self.records = records
        self.full = full
        self.delta = delta
        self.signature = signature
    }

    /// An unsigned manifest for an ``EpochKey`` (its epoch and base64 bytes).
    public init(
        epochKey: EpochKey, sequence: Int, createdAt: Date, maxAgeSeconds: Int, records: Int,
        full: PayloadReference, delta: PayloadReference? = nil
    ) {
        self.init(
            epoch: epochKey.epoch, epochKey: Data(epochKey.bytes).base64EncodedString(), sequence: sequence,
            createdAt: createdAt, maxAgeSeconds: maxAgeSeconds, records: records, full: full, delta: delta)
    }

    /// The epoch key as a value; throws `.badEpochKey` unless ``epochKey`` is base64 of exactly 32 bytes.
    public var epochKeyValue: EpochKey {
        get throws(SnapshotFormatError) {
            guard let data = Data(base64Encoded: epochKey), data.count == 32 else {
                throw SnapshotFormatError(.badEpochKey, "epochKey is not base64 of 32 bytes")
            }
            return EpochKey(epoch: epoch, bytes: Array(data))
        }
    }

    /// The bytes the signature covers (see the type's documentation).
    public func canonicalBytes() -> [UInt8] {
        var fields: [(String, String)] = [
            ("createdAt", Self.jsonString(UTCTime.rfc3339(unixSeconds: Int64(createdAt.timeIntervalSince1970)))),
            ("epoch", String(epoch)),
            ("epochKey", Self.jsonString(epochKey)),
            ("full", Self.canonical(full)),
            ("maxAgeSeconds", String(maxAgeSeconds)),
            ("records", String(records)),
            ("sequence", String(sequence)),
        ]
        if let delta { fields.append(("delta", Self.canonical(delta))) }
        return Array(Self.object(fields).utf8)
    }

    /// A copy with ``signature`` set to the Ed25519 signature of ``canonicalBytes()``.
    public func signed(with key: Curve25519.Signing.PrivateKey) -> SnapshotManifest {
        var copy = self
        // Signing with a valid in-memory key cannot fail in swift-crypto's Ed25519; a failure is a programming error.
        let signature = try! key.signature(for: canonicalBytes())
        copy.signature = signature.base64EncodedString()
        return copy
    }

    /// Checks ``signature`` against the pinned public key; throws `.badSignature` when it is not base64 or does not
    /// verify, and `.badEpochKey` when the epoch key is malformed (a signed manifest with an unusable key is still
    /// unusable).
    public func verify(publicKey: Curve25519.Signing.PublicKey) throws(SnapshotFormatError) {
        guard let signatureBytes = Data(base64Encoded: signature), signatureBytes.count == 64 else {
            throw SnapshotFormatError(.badSignature, "signature is not base64 of 64 bytes")
        }
        guard publicKey.isValidSignature(signatureBytes, for: canonicalBytes()) else {
            throw SnapshotFormatError(.badSignature, "signature does not verify with the pinned key")
        }
        _ = try epochKeyValue
    }

    // MARK: Codable (createdAt as an RFC 3339 string, independent of the coder's date strategy)

    private enum CodingKeys: String, CodingKey {
        case epoch, epochKey, sequence, createdAt, maxAgeSeconds, records, full, delta, signature
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let created = try c.decode(String.self, forKey: .createdAt)
        guard let seconds = UTCTime.parseRFC3339(created) else {
            throw DecodingError.dataCorruptedError(
                forKey: .createdAt, in: c, debugDescription: "createdAt is not an RFC 3339 date-time")
        }
        self.init(
            epoch: try c.decode(Int.self, forKey: .epoch),
            epochKey: try c.decode(String.self, forKey: .epochKey),
            sequence: try c.decode(Int.self, forKey: .sequence),
            createdAt: Date(timeIntervalSince1970: TimeInterval(seconds)),
            maxAgeSeconds: try c.decode(Int.self, forKey: .maxAgeSeconds),
            records: try c.decode(Int.self, forKey: .records),
            full: try c.decode(PayloadReference.self, forKey: .full),
            delta: try c.decodeIfPresent(PayloadReference.self, forKey: .delta),
            signature: try c.decode(String.self, forKey: .signature))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(epoch, forKey: .epoch)
        try c.encode(epochKey, forKey: .epochKey)
        try c.encode(sequence, forKey: .sequence)
        try c.encode(UTCTime.rfc3339(unixSeconds: Int64(createdAt.timeIntervalSince1970)), forKey: .createdAt)
        try c.encode(maxAgeSeconds, forKey: .maxAgeSeconds)
        try c.encode(records, forKey: .records)
        try c.encode(full, forKey: .full)
        try c.encodeIfPresent(delta, forKey: .delta)
        try c.encode(signature, forKey: .signature)
    }

    // MARK: Canonical JSON

    static func wholeSeconds(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970).rounded(.down))
    }

    private static func canonical(_ ref: PayloadReference) -> String {
        var fields: [(String, String)] = [
            ("bytes", String(ref.bytes)), ("sha256", jsonString(ref.sha256)), ("url", jsonString(ref.url)),
        ]
        if let from = ref.fromSequence { fields.append(("fromSequence", String(from))) }
        return object(fields)
    }

    private static func object(_ fields: [(String, String)]) -> String {
        let sorted = fields.sorted { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }
        return "{" + sorted.map { jsonString($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
