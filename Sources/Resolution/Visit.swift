public import Foundation
public import KioskCore

/// One tap at the kiosk, as recorded in the ``VisitLog`` and uploaded to the centre (DESIGN.md §1 step 5, §5).
///
/// Holds no personal data: the person appears only as the ``SubjectKey`` that matched (if any), and `result` and
/// `provenance` are the short codes of ``Resolution``.
public struct Visit: Sendable, Hashable, Identifiable {
    /// Unique per tap; the upload carries it so a retry never duplicates (DESIGN.md §5).
    public var id: UUID
    /// The venue id or name configured on the kiosk.
    public var venue: String
    public var at: Date
    /// The subject key that matched, or `nil` for an unknown person or when nothing could be verified.
    public var subjectKey: SubjectKey?
    /// The key epoch `subjectKey` was derived in (keys of different epochs never match), or `nil`.
    public var epoch: Int?
    /// ``Resolution/resultCode``: `normal`, `homeObservation`, `centralizedObservation`, `unknown`, `cannotVerify`.
    public var result: String
    /// ``Resolution/provenanceCode``: `online`, `snapshot`, `cannotVerify:<reason>`.
    public var provenance: String
    /// When the centre acknowledged it, or `nil` while pending.
    public var uploadedAt: Date?

    public init(
        id: UUID = UUID(), venue: String, at: Date, subjectKey: SubjectKey?, epoch: Int? = nil, result: String,
        provenance: String, uploadedAt: Date? = nil
    ) {
        self.id = id
        self.venue = venue
        self.at = at
        self.subjectKey = subjectKey
        self.epoch = epoch
        self.result = result
        self.provenance = provenance
        self.uploadedAt = uploadedAt
    }

    /// The visit for a resolved tap: the matched key and the resolution's codes, at its resolution time.
    public init(id: UUID = UUID(), venue: String, resolution: Resolution) {
        var key: SubjectKey?
        if case .found(_, let matched) = resolution.outcome { key = matched }
        self.init(
            id: id, venue: venue, at: resolution.resolvedAt, subjectKey: key, result: resolution.resultCode,
            provenance: resolution.provenanceCode)
    }
}

/// Visits per hour (UTC hour boundaries, which are local hour boundaries in whole-hour time zones such as
/// Asia/Shanghai).
public struct VisitHourSummary: Sendable, Hashable {
    /// Start of the hour.
    public var hour: Date
    public var total: Int
    /// Count per result code.
    public var byResult: [String: Int]
    /// Visits not yet uploaded.
    public var pending: Int

    public init(hour: Date, total: Int, byResult: [String: Int], pending: Int) {
        self.hour = hour
        self.total = total
        self.byResult = byResult
        self.pending = pending
    }
}
