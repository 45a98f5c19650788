public import Foundation

/// Where a resolution's answer came from (DESIGN.md §1 step 4).
public enum Provenance: Sendable, Hashable {
    /// The central service answered within the deadline.
    case online
    /// The local signed snapshot answered: its sequence and the time its data is as of.
    case snapshot(sequence: Int, asOf: Date)
    /// Neither source can be trusted; the reason is shown to the person and the technician.
    case cannotVerify(reason: CannotVerifyReason)
}

/// Why the kiosk cannot give a status.
public enum CannotVerifyReason: String, Sendable, Hashable, Codable {
    /// No snapshot installed and the centre is unreachable.
    case noData
    /// The snapshot is older than the maximum age.
    case snapshotTooOld
    /// The local clock is earlier than the snapshot's creation time (dead RTC).
    case clockBehindSnapshot

    public var guidance: Guidance {
        switch self {
        case .noData:
            Guidance(zh: "暂无法核验，请联系工作人员", en: "Cannot check right now. Please ask staff")
        case .snapshotTooOld:
            Guidance(zh: "离线数据已过期，请联系工作人员", en: "Offline data is out of date. Please ask staff")
        case .clockBehindSnapshot:
            Guidance(zh: "设备时间有误，请联系工作人员", en: "Kiosk clock is wrong. Please ask staff")
        }
    }
}

/// What resolving a tap gave.
public enum ResolutionOutcome: Sendable, Hashable {
    /// The centre (or snapshot) knows the person: this is their record. `matched` is the subject key that matched.
    case found(StatusRecord, matched: SubjectKey)
    /// No source knows any of the identities.
    case unknownPerson
    /// Neither source could answer (the reason is in the provenance).
    case cannotVerify
}

/// The result of resolving one tap: outcome, provenance and the time it was resolved (DESIGN.md §3).
public struct Resolution: Sendable, Hashable {
    public var outcome: ResolutionOutcome
    public var provenance: Provenance
    public var resolvedAt: Date

    public init(outcome: ResolutionOutcome, provenance: Provenance, resolvedAt: Date) {
        self.outcome = outcome
        self.provenance = provenance
        self.resolvedAt = resolvedAt
    }

    /// Short code for logs and the visit log: `normal`, `homeObservation`, `centralizedObservation`, `unknown`,
    /// `cannotVerify`.
    public var resultCode: String {
        switch outcome {
        case .found(let record, _): record.status.rawValue
        case .unknownPerson: "unknown"
        case .cannotVerify: "cannotVerify"
        }
    }

    /// Short code for the provenance: `online`, `snapshot`, `cannotVerify:<reason>`.
    public var provenanceCode: String {
        switch provenance {
        case .online: "online"
        case .snapshot: "snapshot"
        case .cannotVerify(let reason): "cannotVerify:\(reason.rawValue)"
        }
    }
}
