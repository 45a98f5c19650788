public import Foundation
public import KioskCore
public import Resolution

extension Resolver: StatusResolving {
    /// Resolves from the snapshot; the visit's subject key is the matched key, or for an unknown person the key of
    /// the strongest identity in the snapshot's epoch (so repeat visits of the same unknown card can be counted).
    public func resolve(_ identities: [Identity], now: Date) async -> (Resolution, SubjectKey?) {
        let resolution: Resolution = resolve(identities, now: now)
        switch resolution.outcome {
        case .found(_, let matched):
            return (resolution, matched)
        case .unknownPerson:
            let epochKey = (try? snapshot.metadata())??.epochKey
            let strongest = identities.strongestFirst().first
            return (resolution, epochKey.flatMap { key in strongest.map { SubjectKey(identity: $0, epochKey: key) } })
        case .cannotVerify:
            return (resolution, nil)
        }
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
