public import Crypto
public import Foundation
import KioskCore
public import Logging
public import ServiceLifecycle

/// Settings of ``SnapshotSync``.
public struct SnapshotSyncConfiguration: Sendable {
    /// The centre's Ed25519 public key: a manifest whose signature does not verify with it is never used.
    public var publicKey: Curve25519.Signing.PublicKey
    /// Where partial downloads live (`partial-<sha256>`), kept across restarts so a download resumes.
    public var stateDirectory: URL
    /// Time between syncs; the first runs at start. Default 5 min.
    public var interval: Duration
    /// Largest payload accepted, in bytes. Default 2 GiB.
    public var maximumPayloadBytes: Int

    public init(
        publicKey: Curve25519.Signing.PublicKey, stateDirectory: URL, interval: Duration = .seconds(300),
        maximumPayloadBytes: Int = 2 << 30
    ) {
        self.publicKey = publicKey
        self.stateDirectory = stateDirectory
        self.interval = interval
        self.maximumPayloadBytes = maximumPayloadBytes
    }

    /// Parses a base64 raw 32-byte Ed25519 public key, as written in the kiosk's configuration.
    public static func publicKey(base64: String) -> Curve25519.Signing.PublicKey? {
        guard let data = Data(base64Encoded: base64.trimmingCharacters(in: .whitespacesAndNewlines)),
            data.count == 32
        else { return nil }
        return try? Curve25519.Signing.PublicKey(rawRepresentation: data)
    }
}

/// What one sync did.
public enum SnapshotSyncOutcome: Sendable, Hashable {
    /// The installed snapshot is the centre's current one (or newer).
    case upToDate(sequence: Int)
    /// A new snapshot was installed from a full payload or a delta.
    case installed(SnapshotMetadata, delta: Bool)
}

/// Why a sync failed. The old snapshot keeps serving in every case.
public struct SnapshotSyncError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// The manifest could not be fetched (the cause is a ``CentralClientError``).
        case manifestUnavailable
        /// The manifest is not the contract's JSON.
        case badManifest
        /// The manifest's signature does not verify with the pinned key (or its epoch key is unusable).
        case badSignature
        /// The payload download failed or was cut; the partial file is kept for resuming.
        case downloadFailed
        /// The downloaded payload's size or SHA-256 is not the manifest's; the partial file is deleted.
        case hashMismatch
        /// The payload does not parse, or its header disagrees with the manifest.
        case badPayload
        /// Installing into the store failed (nothing changed).
        case installFailed
    }

    public var code: Code
    public var detail: String

    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "snapshot sync: \(code.rawValue): \(detail)" }
}

/// Keeps the local snapshot current (DESIGN.md §5, anchors §7 item 1): a `Service` that, at start and then every
/// ``SnapshotSyncConfiguration/interval``, fetches the signed manifest and installs a newer snapshot.
///
/// One sync: fetch `GET /v1/snapshots/manifest?since=<installed>`; verify the Ed25519 signature against the pinned
/// key (reject → keep the old snapshot); stop if the sequence is not above the installed one; take the delta when
/// it applies to the installed sequence in the same epoch, else the full payload; download it into
/// `<state>/partial-<sha256>`, resuming with `Range` after an interruption; check size and SHA-256; parse it; check
/// its header against the manifest; install it in one transaction. A failing delta falls back to the full payload
/// in the same sync. Any failure leaves the old snapshot serving.
public struct SnapshotSync: Service {
    public let configuration: SnapshotSyncConfiguration
    private let client: CentralClient
    private let store: SnapshotStore
    private let logger: Logger
    private let onChange: @Sendable () -> Void

    /// - Parameter onChange: called by ``run()`` after each sync the centre answered (a snapshot installed, or the
    ///   installed one is current), for displays of the snapshot and of the centre's reachability.
    public init(
        client: CentralClient, store: SnapshotStore, configuration: SnapshotSyncConfiguration, logger: Logger,
        onChange: @escaping @Sendable () -> Void = {}
    ) {
        self.client = client
        self.store = store
        self.configuration = configuration
        self.logger = logger
        self.onChange = onChange
    }

    /// Syncs at start, then on the interval or at once when the client saw a 409 (key epoch rotated), until graceful
    /// shutdown. Failures are logged, never thrown.
    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                switch try await syncOnce() {
                case .upToDate(let sequence):
                    logger.debug("snapshot up to date", metadata: ["kiosk.snapshot.sequence": "\(sequence)"])
                case .installed(let metadata, let delta):
                    logger.info("snapshot installed", metadata: [
                        "kiosk.snapshot.sequence": "\(metadata.sequence)", "kiosk.snapshot.delta": "\(delta)",
                        "kiosk.snapshot.records": "\(metadata.recordCount)",
                    ])
                }
                onChange()
            } catch {
                logger.warning("snapshot sync failed; the installed snapshot keeps serving", metadata: [
                    "kiosk.sync.error": "\(error.code.rawValue)", "kiosk.sync.detail": "\(error.detail)",
                ])
            }
            do {
                let interval = configuration.interval
                let requests = client.syncRequests
                let requested = try await cancelWhenGracefulShutdown { try await requests.wait(upTo: interval) }
                if requested { logger.info("the centre changed key epoch; syncing the snapshot now") }
            } catch {
                return
            }
        }
    }

    /// One sync, as described on the type.
    public func syncOnce() async throws(SnapshotSyncError) -> SnapshotSyncOutcome {
        let installed: SnapshotMetadata?
        do { installed = try store.metadata() } catch {
            throw SnapshotSyncError(.installFailed, "cannot read the installed snapshot: \(error)")
        }
        let manifest = try await fetchManifest(since: installed?.sequence)
        if let installed {
            // Same epoch key: sequences order the snapshots. Another key (a rotation, or a snapshot that did not
            // come from this centre): only a newer one replaces it, so a replayed old manifest cannot roll back.
            let sameKey = (try? manifest.epochKeyValue) == installed.epochKey
            let isNewer =
                sameKey ? manifest.sequence > installed.sequence : manifest.createdAt > installed.createdAt
            if !isNewer { return .upToDate(sequence: installed.sequence) }
        }
        let epochKey: EpochKey
        do { epochKey = try manifest.epochKeyValue } catch { throw SnapshotSyncError(.badSignature, "\(error)") }
        let metadata = SnapshotMetadata(
            epochKey: epochKey, sequence: manifest.sequence, createdAt: manifest.createdAt,
            recordCount: manifest.records, source: "central", maxAgeSeconds: manifest.maxAgeSeconds)

        if let installed, let delta = manifest.delta, delta.fromSequence == installed.sequence,
            installed.epochKey == epochKey
        {
            do {
                return .installed(try await install(delta, manifest: manifest, metadata: metadata), delta: true)
            } catch {
                logger.info("delta failed; fetching the full snapshot", metadata: [
                    "kiosk.sync.error": "\(error.code.rawValue)", "kiosk.sync.detail": "\(error.detail)",
                ])
            }
        }
        return .installed(try await install(manifest.full, manifest: manifest, metadata: metadata), delta: false)
    }

    /// Installs a shipped snapshot (a manifest file and its full payload file) when no snapshot is installed yet,
    /// with the same checks as a sync. Returns `nil` when a snapshot is already installed.
    public func installInitialSnapshot(manifestFile: URL, payloadFile: URL) throws(SnapshotSyncError)
        -> SnapshotMetadata?
    {
        do { if try store.metadata() != nil { return nil } } catch {
            throw SnapshotSyncError(.installFailed, "cannot read the installed snapshot: \(error)")
        }
        let manifestData: Data
        do { manifestData = try Data(contentsOf: manifestFile) } catch {
            throw SnapshotSyncError(.downloadFailed, "cannot read the shipped manifest: \(error)")
        }
        let manifest = try verifiedManifest(manifestData)
        let epochKey: EpochKey
        do { epochKey = try manifest.epochKeyValue } catch { throw SnapshotSyncError(.badSignature, "\(error)") }
        let metadata = SnapshotMetadata(
            epochKey: epochKey, sequence: manifest.sequence, createdAt: manifest.createdAt,
            recordCount: manifest.records, source: "installation", maxAgeSeconds: manifest.maxAgeSeconds)
        return try installFile(payloadFile, reference: manifest.full, manifest: manifest, metadata: metadata)
    }

    // MARK: - Steps

    private func fetchManifest(since sequence: Int?) async throws(SnapshotSyncError) -> SnapshotManifest {
        let body: Data
        do { body = try await client.manifestBody(since: sequence) } catch {
            throw SnapshotSyncError(.manifestUnavailable, "\(error)")
        }
        return try verifiedManifest(body)
    }

    private func verifiedManifest(_ body: Data) throws(SnapshotSyncError) -> SnapshotManifest {
        let manifest: SnapshotManifest
        do { manifest = try JSONDecoder().decode(SnapshotManifest.self, from: body) } catch {
            throw SnapshotSyncError(.badManifest, "the manifest does not decode")
        }
        do { try manifest.verify(publicKey: configuration.publicKey) } catch {
            throw SnapshotSyncError(.badSignature, "\(error)")
        }
        return manifest
    }

    /// Downloads (resuming), checks and installs one payload.
    private func install(_ reference: PayloadReference, manifest: SnapshotManifest, metadata: SnapshotMetadata)
        async throws(SnapshotSyncError) -> SnapshotMetadata
    {
        guard reference.bytes >= 0, reference.bytes <= configuration.maximumPayloadBytes,
            reference.sha256.count == 64, reference.sha256.allSatisfy({ $0.isHexDigit && !$0.isUppercase })
        else { throw SnapshotSyncError(.badPayload, "the manifest names an unusable payload") }
        let file = configuration.stateDirectory.appendingPathComponent("partial-\(reference.sha256)")
        let have = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int64) ?? 0
        var size = have
        if have > Int64(reference.bytes) {
            try? FileManager.default.removeItem(at: file)
            size = 0
        }
        if size < Int64(reference.bytes) {
            if size > 0 {
                logger.debug("resuming payload download", metadata: ["kiosk.sync.offset": "\(size)"])
            }
            do {
                size = try await client.downloadPayload(
                    path: reference.url, resumingFrom: size, expectedBytes: Int64(reference.bytes), to: file)
            } catch {
                // A full disk is the kiosk's problem, not the centre's: say so without the request around it.
                throw SnapshotSyncError(.downloadFailed, error.code == .storage ? error.detail : "\(error)")
            }
        }
        let stored = try installFile(file, reference: reference, manifest: manifest, metadata: metadata)
        try? FileManager.default.removeItem(at: file)
        removeStalePartials()
        return stored
    }

    /// Checks a payload file against its reference (size, then SHA-256, both streamed) and installs it, streaming:
    /// a city-sized payload is read in 1 MiB chunks straight into one write transaction, never held in memory.
    ///
    /// - Throws: `.downloadFailed` when the file is short (the prefix is kept so the download resumes) or
    ///   unreadable; `.hashMismatch` when the bytes are not the manifest's (the file is deleted); `.badPayload` when
    ///   the verified bytes still do not parse or their header disagrees with the manifest; `.installFailed` for a
    ///   store error. The installed snapshot is unchanged after any error.
    private func installFile(
        _ file: URL, reference: PayloadReference, manifest: SnapshotManifest, metadata: SnapshotMetadata
    ) throws(SnapshotSyncError) -> SnapshotMetadata {
        let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? -1
        guard size == reference.bytes else {
            // Short: the body ended early. Keep the prefix and resume next time.
            throw SnapshotSyncError(.downloadFailed, "payload has \(max(size, 0)) of \(reference.bytes) bytes")
        }
        let sha256: String
        do { sha256 = try PayloadHasher.hex(ofFile: file) } catch {
            throw SnapshotSyncError(.downloadFailed, "cannot read \(file.lastPathComponent): \(error)")
        }
        guard sha256 == reference.sha256 else {
            try? FileManager.default.removeItem(at: file)
            throw SnapshotSyncError(.hashMismatch, "payload SHA-256 is not the manifest's")
        }
        let isDelta = reference.fromSequence != nil
        logger.info("installing snapshot payload", metadata: [
            "kiosk.snapshot.sequence": "\(manifest.sequence)", "kiosk.snapshot.delta": "\(isDelta)",
            "kiosk.snapshot.bytes": "\(reference.bytes)",
        ])
        do {
            return try store.install(payloadFile: file, metadata: metadata) { header throws(SnapshotSyncError) in
                try Self.check(header, isDelta: isDelta, reference: reference, manifest: manifest)
            }
        } catch let error as SnapshotFormatError {
            throw SnapshotSyncError(.badPayload, "\(error)")
        } catch let error as SnapshotSyncError {
            throw error
        } catch {
            throw SnapshotSyncError(.installFailed, "\(error)")
        }
    }


    private static func check(
        _ header: SnapshotPayloadHeader, isDelta: Bool, reference: PayloadReference, manifest: SnapshotManifest
    ) throws(SnapshotSyncError) {
        guard header.epoch == manifest.epoch, header.sequence == manifest.sequence,
            header.kind == (isDelta ? .delta : .full), header.fromSequence == (reference.fromSequence ?? 0)
        else { throw SnapshotSyncError(.badPayload, "payload header does not match the manifest") }
    }

    private func removeStalePartials() {
        let directory = configuration.stateDirectory
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return }
        for name in names where name.hasPrefix("partial-") {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }
    }
}
