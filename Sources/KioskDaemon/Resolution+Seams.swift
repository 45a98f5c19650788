public import Foundation
public import KioskCore
public import Resolution

extension Resolver: StatusResolving {
    /// Resolves online first, then from the snapshot (``Resolver/resolveTap(_:now:)``); the visit's subject is the
    /// matched key, or for an unknown person the key of the strongest identity (so repeat visits of the same unknown
    /// card can be counted), with the epoch the keys were derived in; `nil` when nothing could be verified.
    public func resolve(_ identities: [Identity], now: Date) async -> (Resolution, VisitSubject?) {
        let tap = await resolveTap(identities, now: now)
        let subject = tap.visitKey.flatMap { key in tap.epoch.map { VisitSubject(key: key, epoch: $0) } }
        return (tap.resolution, subject)
    }
}

extension VisitLog: VisitRecording {
    /// Appends the visit durably (the log's synchronous commit) before the caller shows the result.
    @discardableResult
    public func recordVisit(venueID: String, at: Date, subject: VisitSubject?, resolution: Resolution) async throws
        -> UUID
    {
        let visit = Visit(
            venue: venueID, at: at, subjectKey: subject?.key, epoch: subject?.epoch,
            result: resolution.resultCode, provenance: resolution.provenanceCode)
        try append(visit)
        return visit.id
    }
}
