import Foundation
import Crypto

/// A key-epoch secret shared by the central service and the kiosks (DESIGN.md §4): 32 bytes, rotated by the centre.
public struct EpochKey: Sendable, Hashable {
    /// Epoch number; subject keys of different epochs never match.
    public let epoch: Int
    public let bytes: [UInt8]

    public init(epoch: Int, bytes: [UInt8]) {
        self.epoch = epoch
        self.bytes = bytes
    }

    /// A fresh random 32-byte key.
    public static func random(epoch: Int) -> EpochKey {
        EpochKey(epoch: epoch, bytes: SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
    }
}

/// The only identifier the kiosk stores or sends: the first 16 bytes of
/// HMAC-SHA256(epoch key, `"kind:normalised value"`) (DESIGN.md §4).
public struct SubjectKey: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    /// 16 bytes.
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Derives the key for an identity in an epoch.
    public init(identity: Identity, epochKey: EpochKey) {
        self.init(kind: identity.kind, normalisedValue: identity.value, epochKey: epochKey)
    }

    public init(kind: IdentityKind, normalisedValue: String, epochKey: EpochKey) {
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data("\(kind.rawValue):\(normalisedValue)".utf8),
            using: SymmetricKey(data: epochKey.bytes)
        )
        bytes = Array(Array(mac).prefix(16))
    }

    /// Parses 32 lower- or upper-case hex characters.
    public init?(hex: String) {
        guard hex.count == 32 else { return nil }
        var out: [UInt8] = []
        var it = hex.makeIterator()
        while let h = it.next(), let l = it.next() {
            guard let b = UInt8(String([h, l]), radix: 16) else { return nil }
            out.append(b)
        }
        self.init(bytes: out)
    }

    public var hex: String { bytes.map { String(format: "%02x", $0) }.joined() }
    public var description: String { hex }

    public static func < (lhs: SubjectKey, rhs: SubjectKey) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }

    public init(from decoder: any Decoder) throws {
        let s = try decoder.singleValueContainer().decode(String.self)
        guard let k = SubjectKey(hex: s) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a subject key"))
        }
        self = k
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(hex)
    }
}
