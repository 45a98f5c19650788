import Foundation
public import KioskCore

/// The centre's answer to one lookup (`POST /v1/status/lookup`): one result per subject, in request order.
public struct LookupAnswer: Sendable, Hashable {
    /// One subject's result: the record, or `nil` when the centre does not know the key.
    public struct Result: Sendable, Hashable {
        public var key: SubjectKey
        public var record: StatusRecord?

        public init(key: SubjectKey, record: StatusRecord?) {
            self.key = key
            self.record = record
        }
    }

    public var epoch: Int
    public var results: [Result]

    public init(epoch: Int, results: [Result]) {
        self.epoch = epoch
        self.results = results
    }

    /// The first result, in request order (strongest key first), that has a record (DESIGN.md §4).
    public var firstKnown: (key: SubjectKey, record: StatusRecord)? {
        for result in results { if let record = result.record { return (result.key, record) } }
        return nil
    }
}

/// What the centre said about an uploaded visit batch.
public struct VisitUploadReceipt: Sendable, Hashable {
    /// Visits stored for the first time.
    public var accepted: Int
    /// Visits the centre already had (a retry of an acknowledged batch).
    public var duplicates: Int

    public init(accepted: Int, duplicates: Int) {
        self.accepted = accepted
        self.duplicates = duplicates
    }
}

extension CentralWire.VisitBatch {
    /// The wire form of visits from the log: lower-case UUIDs, whole-second UTC times, the epoch only with a key.
    init(_ visits: [Visit]) {
        self.init(
            visits: visits.map {
                VisitWire(
                    id: $0.id.uuidString.lowercased(), at: CentralWire.timestamp($0.at), subjectKey: $0.subjectKey,
                    epoch: $0.subjectKey == nil ? nil : $0.epoch, result: $0.result, provenance: $0.provenance)
            })
    }
}
