public import Foundation
public import KioskCore

/// What the installed snapshot is: its key epoch, sequence and the time its data is as of (DESIGN.md §3, §5).
///
/// `epochKey` is the secret the kiosk needs to derive subject keys offline (DESIGN.md §4). It is stored with the
/// snapshot because the two rotate together; `description` never shows it.
public struct SnapshotMetadata: Sendable, Hashable, CustomStringConvertible {
    /// Key epoch and its 32-byte secret.
    public var epochKey: EpochKey
    /// Monotonic snapshot sequence number from the centre's manifest.
    public var sequence: Int
    /// When the centre built the snapshot: the data is "as of" this time.
    public var createdAt: Date
    /// Number of subject-key rows. ``SnapshotStore/replaceAll(records:metadata:)`` sets it to the rows written.
    public var recordCount: Int
    /// Where the snapshot came from, e.g. `"demo-file"` or the manifest URL. Never personal data.
    public var source: String
    /// How long the centre says this snapshot may answer for (the manifest's `maxAgeSeconds`, a per-list
    /// validity); `nil` when it did not say (an imported people file). The resolver caps it with its own ceiling.
    public var maxAgeSeconds: Int?

    public init(
        epochKey: EpochKey, sequence: Int, createdAt: Date, recordCount: Int = 0, source: String,
        maxAgeSeconds: Int? = nil
    ) {
        self.epochKey = epochKey
        self.sequence = sequence
        self.createdAt = createdAt
        self.recordCount = recordCount
        self.source = source
        self.maxAgeSeconds = maxAgeSeconds
    }

    /// The key epoch number.
    public var epoch: Int { epochKey.epoch }

    public var description: String {
        "snapshot(epoch: \(epoch), sequence: \(sequence), createdAt: \(createdAt), records: \(recordCount), "
            + "source: \(source), maxAge: \(maxAgeSeconds.map { "\($0) s" } ?? "local"))"
    }
}

/// One row of a snapshot: a subject key and the centre's record for it.
///
/// A person with several identities (ID number, PAN, card number) has one entry per subject key.
public struct SnapshotEntry: Sendable, Hashable {
    public var subjectKey: SubjectKey
    public var record: StatusRecord

    public init(subjectKey: SubjectKey, record: StatusRecord) {
        self.subjectKey = subjectKey
        self.record = record
    }
}

/// A snapshot lookup read in one transaction: the metadata it was made with and the first known key's record.
public struct SnapshotLookup: Sendable, Hashable {
    public var metadata: SnapshotMetadata
    /// The first of the given keys the snapshot knows, with its record; `nil` when it knows none.
    public var match: SnapshotEntry?

    public init(metadata: SnapshotMetadata, match: SnapshotEntry?) {
        self.metadata = metadata
        self.match = match
    }
}
