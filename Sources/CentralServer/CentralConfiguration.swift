public import Crypto
public import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Settings of the reference central service. A `Sendable` struct of defaulted values; the `kiosk-central`
/// executable fills it from its command line (the signing key and the token file are read there).
public struct CentralConfiguration: Sendable {
    /// SQLite database file (WAL mode; `-wal`/`-shm` files beside it).
    public var databasePath: String
    /// Directory of built payload files, named by their SHA-256. Default: `<databasePath>.payloads`.
    public var payloadDirectory: String
    /// The Ed25519 key that signs manifests; kiosks pin its public key.
    public var signingKey: Curve25519.Signing.PrivateKey
    /// Bearer token → kiosk id. A request's `Kiosk-ID` must be the id its token was issued to.
    public var deviceTokens: [String: String]
    /// Advertised in every manifest: how long after its creation a kiosk may answer from the snapshot. Default 48 h.
    public var snapshotMaxAgeSeconds: Int
    /// How long deltas are offered (and deletion tombstones kept): a kiosk whose sequence is older than this gets only
    /// a full payload. Default 7 days.
    public var deltaRetentionSeconds: Int
    /// Listening address. Port 0 picks a free port (reported through `onServerRunning`).
    public var host: String
    public var port: Int
    /// The service's clock (tests inject one).
    public var now: @Sendable () -> Date

    public init(
        databasePath: String, payloadDirectory: String? = nil, signingKey: Curve25519.Signing.PrivateKey,
        deviceTokens: [String: String], snapshotMaxAgeSeconds: Int = 48 * 3600,
        deltaRetentionSeconds: Int = 7 * 24 * 3600, host: String = "127.0.0.1", port: Int = 8080,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.databasePath = databasePath
        self.payloadDirectory = payloadDirectory ?? databasePath + ".payloads"
        self.signingKey = signingKey
        self.deviceTokens = deviceTokens
        self.snapshotMaxAgeSeconds = snapshotMaxAgeSeconds
        self.deltaRetentionSeconds = deltaRetentionSeconds
        self.host = host
        self.port = port
        self.now = now
    }

    /// Parses a token file: one `token kiosk-id` pair per line (white-space separated); blank lines and lines starting
    /// with `#` are ignored.
    public static func parseTokens(_ text: String) throws -> [String: String] {
        var tokens: [String: String] = [:]
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let parts = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count == 2 else {
                throw CentralConfigurationError("token file line \(number + 1): expected `token kiosk-id`")
            }
            tokens[String(parts[0])] = String(parts[1])
        }
        return tokens
    }

    /// Reads a configuration file (signing key, token file) named by `option`.
    /// - Throws: ``CentralConfigurationError`` naming the option, the path, the system's reason (`strerror`) and
    ///   `hint`, instead of Foundation's generic "The file couldn't be opened".
    public static func readFile(_ url: URL, option: String, hint: String) throws -> Data {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            let reason = String(cString: strerror(errno))
            throw CentralConfigurationError("\(option) \(url.path): cannot read (\(reason)); \(hint)")
        }
        defer { try? handle.close() }
        do { return try handle.readToEnd() ?? Data() } catch {
            throw CentralConfigurationError("\(option) \(url.path): cannot read (\(error)); \(hint)")
        }
    }

    /// Reads a token file (``parseTokens(_:)``).
    /// - Throws: ``CentralConfigurationError`` when it cannot be read, is not UTF-8 or has a malformed line.
    public static func loadTokens(contentsOf url: URL) throws -> [String: String] {
        let data = try readFile(
            url, option: "--tokens", hint: "create it with one `token kiosk-id` line per kiosk (README: kiosk-central)")
        guard let text = String(data: data, encoding: .utf8) else {
            throw CentralConfigurationError("--tokens \(url.path): not UTF-8 text")
        }
        return try parseTokens(text)
    }

    /// Reads a signing key file: the 32 raw bytes written by `kiosk-central keygen`.
    /// - Throws: ``CentralConfigurationError`` when it cannot be read or is not 32 bytes.
    public static func loadSigningKey(contentsOf url: URL) throws -> Curve25519.Signing.PrivateKey {
        let data = try readFile(
            url, option: "--signing-key", hint: "create one with `kiosk-central keygen --out \(url.path)`")
        guard data.count == 32 else {
            throw CentralConfigurationError("\(url.path): expected a 32-byte Ed25519 private key, got \(data.count) bytes")
        }
        return try Curve25519.Signing.PrivateKey(rawRepresentation: data)
    }
}

/// A configuration problem, with what to do about it.
public struct CentralConfigurationError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension CentralConfiguration {
    /// Generates an Ed25519 signing key, writes its 32 raw bytes to `url` (mode 0600, refusing to overwrite), and
    /// returns the public key in base64, the value kiosks pin.
    public static func writeNewSigningKey(to url: URL) throws -> String {
        guard !FileManager.default.fileExists(atPath: url.path) else {
            throw CentralConfigurationError("\(url.path) exists; remove it first or choose another path")
        }
        let key = Curve25519.Signing.PrivateKey()
        guard
            FileManager.default.createFile(
                atPath: url.path, contents: key.rawRepresentation, attributes: [.posixPermissions: 0o600])
        else { throw CentralConfigurationError("cannot write \(url.path)") }
        return key.publicKey.rawRepresentation.base64EncodedString()
    }

    /// The base64 public key of a signing key (what kiosks pin).
    public static func publicKeyBase64(of key: Curve25519.Signing.PrivateKey) -> String {
        key.publicKey.rawRepresentation.base64EncodedString()
    }
}
