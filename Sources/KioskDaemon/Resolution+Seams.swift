public import Foundation
public import KioskCore
public import Resolution

extension Resolver: StatusResolving {
    /// Resolves online first, then from the snapshot (``Resolver/resolveTap(_:now:)``); the visit's subject key is
    /// the matched key, or for an unknown person the key of the strongest identity in the snapshot's epoch (so
    /// repeat visits of the same unknown card can be counted), or `nil` when nothing could be verified.
    public func resolve(_ identities: [Identity], now: Date) async -> (Resolution, SubjectKey?) {
        let tap = await resolveTap(identities, now: now)
        return (tap.resolution, tap.visitKey)
    }
}

extension VisitLog: VisitRecording {
    /// Appends the visit durably (the log's synchronous commit) before the caller shows the result.
    public func recordVisit(venueID: String, at: Date, subjectKey: SubjectKey?, resolution: Resolution) async throws {
        try append(
            Visit(
                venue: venueID, at: at, subjectKey: subjectKey, result: resolution.resultCode,
                provenance: resolution.provenanceCode))
    }
}

/// Records visits with the key epoch of their subject key: the installed snapshot's epoch, whose key the resolver
/// derived the subject keys with (online and offline alike). An epoch rotation between the resolution and the append
/// (milliseconds) would stamp the new epoch; the centre then finds no match for that one visit.
public struct EpochStampingVisitRecorder: VisitRecording {
    public let log: VisitLog
    public let snapshot: SnapshotStore

    public init(log: VisitLog, snapshot: SnapshotStore) {
        self.log = log
        self.snapshot = snapshot
    }

    public func recordVisit(venueID: String, at: Date, subjectKey: SubjectKey?, resolution: Resolution) async throws {
        let epoch = subjectKey == nil ? nil : (try? snapshot.metadata())??.epoch
        try log.append(
            Visit(
                venue: venueID, at: at, subjectKey: subjectKey, epoch: epoch, result: resolution.resultCode,
                provenance: resolution.provenanceCode))
    }
}
