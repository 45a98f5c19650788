public import Foundation
import GRDB
public import KioskCore

/// One visit as a kiosk reports it (到访人信息登记簿): no identity, only the subject key if there was one.
public struct VisitRecord: Sendable, Hashable {
    public var id: UUID
    public var at: Date
    public var subjectKey: SubjectKey?
    public var epoch: Int?
    /// `normal`, `homeObservation`, `centralizedObservation`, `unknown`, `cannotVerify`.
    public var result: String
    /// `online`, `snapshot`, `cannotVerify:<reason>`.
    public var provenance: String

    public init(id: UUID, at: Date, subjectKey: SubjectKey?, epoch: Int?, result: String, provenance: String) {
        self.id = id
        self.at = at
        self.subjectKey = subjectKey
        self.epoch = epoch
        self.result = result
        self.provenance = provenance
    }
}

extension CentralStore {
    /// Stores a batch of visits in one transaction, idempotently by id (`INSERT OR IGNORE`): a retried batch adds
    /// nothing. Returns how many were new and how many were already stored (including repeats within the batch).
    public func recordVisits(_ visits: [VisitRecord], kioskID: String, venueID: String, receivedAt: Date) throws
        -> (accepted: Int, duplicates: Int)
    {
        try pool.write { db in
            let insert = try db.makeStatement(
                sql: """
                    INSERT OR IGNORE INTO visit (id, at, subjectKey, epoch, result, provenance, kioskID, venueID, receivedAt)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            var accepted = 0
            for visit in visits {
                try insert.execute(arguments: [
                    visit.id.uuidString.lowercased(), Int64(visit.at.timeIntervalSince1970.rounded(.down)),
                    visit.subjectKey.map { Data($0.bytes) }, visit.epoch, visit.result, visit.provenance, kioskID,
                    venueID, Int64(receivedAt.timeIntervalSince1970.rounded(.down)),
                ])
                accepted += db.changesCount
            }
            return (accepted, visits.count - accepted)
        }
    }

    /// Number of stored visits (for tests and operators).
    public func visitCount() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM visit") ?? 0 }
    }
}
