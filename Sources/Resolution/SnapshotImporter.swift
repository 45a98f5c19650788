public import Foundation
import KioskCore

/// Builds a snapshot from a hand-written JSON people file, for demos and tests.
///
/// Every identity of a person becomes one subject key (DESIGN.md §4); only the keys and the status columns reach
/// the database, never the numbers or names in the file. The file:
///
/// ```json
/// {
///   "epoch": 1,
///   "epochKey": "<64 hex characters; omit to generate one>",
///   "sequence": 1,
///   "createdAt": "2026-11-29T08:00:00Z",
///   "source": "demo",
///   "people": [
///     {
///       "name": "张三明",
///       "idNumber": "11010519491231002X",
///       "pan": "6222020000000000009",
///       "sscCardNumber": "A12345678",
///       "status": "normal",
///       "popup": 2,
///       "nat": { "sampledHoursAgo": 20, "result": "negative" },
///       "vaccination": { "doses": 3, "lastDose": "2022-01-10" },
///       "commuterDaysFromNow": 11
///     }
///   ]
/// }
/// ```
///
/// Top level: `epoch` (default 1), `epochKey` (generated when absent), `sequence` (default: installed sequence + 1,
/// or 1), `createdAt` (ISO 8601) **or** `createdHoursAgo` (default: now), `source` (default `"people-file"`).
///
/// A person needs at least one identity: `idNumber` (resident ID, GB 11643 checked, 15-digit numbers converted),
/// `residencePermitNumber` (HK/Macau/Taiwan, GB 11643 checked, 81/82/83 prefix), `foreignPRNumber` (15 or 18
/// letters and digits), `sscCardNumber` (9 letters and digits), `pan` (Luhn checked), `printedCode` (verbatim).
/// Then `status` (`normal`, `homeObservation`, `centralizedObservation`), and optionally `popup` (a code, or
/// `{"code", "zh", "en"}` for a non-standard one), `nat` (`sampledAt` ISO 8601 **or** `sampledHoursAgo`, and
/// `result`: `negative`, `positive`, `pending`), `vaccination` (`doses`, optional `lastDose` `YYYY-MM-DD`),
/// `commuterUntil` (`YYYY-MM-DD`) **or** `commuterDaysFromNow`, `updatedAt` **or** `updatedHoursAgo` (default:
/// the snapshot's creation time). `name` and `note` are for people reading the file and are ignored, and so are
/// any other fields (card images for the demo may add their own). A person with `"inSnapshot": false` exists only
/// as a demo card (an unknown card holder, a card with a bad check digit) and is skipped without validation.
///
/// Relative times are taken from `now`, so a demo file stays fresh whenever it is imported.
public enum SnapshotImporter {
    /// What an import installed.
    public struct Summary: Sendable, Hashable {
        public var metadata: SnapshotMetadata
        /// Number of people imported (rows with `"inSnapshot": false` are not counted).
        public var people: Int
        /// Whether the file had no `epochKey` and one was generated.
        public var generatedEpochKey: Bool
    }

    /// Validates the people file and, if every row is good, replaces the store's snapshot with it.
    ///
    /// - Parameters:
    ///   - now: the time relative fields (`…HoursAgo`, `commuterDaysFromNow`) count from.
    ///   - timeZone: the kiosk's time zone, for `commuterDaysFromNow`.
    /// - Throws: ``PeopleFileError`` listing every bad row (by index, never by value); the store is unchanged.
    ///   Errors of the file system or the database are thrown as they are.
    @discardableResult
    public static func importPeople(
        file: URL, into store: SnapshotStore, now: Date = Date(), timeZone: TimeZone = .current
    ) throws -> Summary {
        let data: Data
        do {
            data = try Data(contentsOf: file)
        } catch {
            throw PeopleFileError(problems: [.init(row: nil, field: "file", reason: "cannot read \(file.path)")])
        }
        let installedSequence = try store.metadata()?.sequence
        let prepared = try prepare(data, installedSequence: installedSequence, now: now, timeZone: timeZone)
        let metadata = try store.replaceAll(records: prepared.entries, metadata: prepared.metadata)
        return Summary(
            metadata: metadata, people: prepared.people, generatedEpochKey: prepared.generatedEpochKey)
    }

    struct Prepared {
        var metadata: SnapshotMetadata
        var entries: [SnapshotEntry]
        var people: Int
        var generatedEpochKey: Bool
    }

    /// Parses and validates a people file into snapshot entries, without touching any store.
    static func prepare(_ data: Data, installedSequence: Int?, now: Date, timeZone: TimeZone) throws(PeopleFileError)
        -> Prepared
    {
        let file: PeopleFile
        do {
            file = try JSONDecoder().decode(PeopleFile.self, from: data)
        } catch let error as DecodingError {
            throw PeopleFileError(problems: [problem(decoding: error)])
        } catch {
            throw PeopleFileError(problems: [.init(row: nil, field: "file", reason: "not a people file")])
        }

        var problems: [PeopleFileError.Problem] = []
        let parser = FieldParser(now: now, timeZone: timeZone)

        // Snapshot header.
        let epoch = file.epoch ?? 1
        var epochKey = EpochKey.random(epoch: epoch)
        if let hex = file.epochKey {
            if let bytes = hexBytes(hex), bytes.count == 32 {
                epochKey = EpochKey(epoch: epoch, bytes: bytes)
            } else {
                problems.append(.init(row: nil, field: "epochKey", reason: "expected 64 hex characters"))
            }
        }
        let createdAt =
            parser.time(
                absolute: file.createdAt, hoursAgo: file.createdHoursAgo, field: "createdAt", row: nil,
                problems: &problems) ?? now
        let sequence = file.sequence ?? ((installedSequence ?? 0) + 1)
        if sequence < 0 { problems.append(.init(row: nil, field: "sequence", reason: "must not be negative")) }

        // People.
        var entries: [SnapshotEntry] = []
        var firstRowOfKey: [SubjectKey: Int] = [:]
        for (row, person) in file.people.enumerated() where person.inSnapshot != false {
            let before = problems.count
            let identities = parser.identities(of: person, row: row, problems: &problems)
            let record = parser.record(of: person, row: row, defaultUpdatedAt: createdAt, problems: &problems)
            guard problems.count == before, let record else { continue }
            for identity in identities {
                let key = SubjectKey(identity: identity, epochKey: epochKey)
                if let other = firstRowOfKey[key] {
                    problems.append(
                        .init(
                            row: row, field: parser.fieldName(of: identity.kind),
                            reason: "same identity as people[\(other)]; each identity may appear once"))
                    continue
                }
                firstRowOfKey[key] = row
                entries.append(SnapshotEntry(subjectKey: key, record: record))
            }
        }
        guard problems.isEmpty else { throw PeopleFileError(problems: problems) }

        let metadata = SnapshotMetadata(
            epochKey: epochKey, sequence: sequence, createdAt: createdAt, recordCount: entries.count,
            source: file.source ?? "people-file")
        return Prepared(
            metadata: metadata, entries: entries, people: file.people.filter { $0.inSnapshot != false }.count,
            generatedEpochKey: file.epochKey == nil)
    }

    private static func problem(decoding error: DecodingError) -> PeopleFileError.Problem {
        let (path, reason): ([any CodingKey], String) =
            switch error {
            case .typeMismatch(let type, let context): (context.codingPath, "expected \(type)")
            case .valueNotFound(let type, let context): (context.codingPath, "expected \(type), found null")
            case .keyNotFound(let key, let context): (context.codingPath + [key], "missing")
            case .dataCorrupted(let context): (context.codingPath, "not valid JSON")
            @unknown default: ([], "not a people file")
            }
        // `people[3].nat.result` → row 3, field `nat.result`.
        var row: Int?
        var field: [String] = []
        var afterPeople = false
        for key in path {
            if afterPeople, row == nil, let index = key.intValue {
                row = index
            } else {
                afterPeople = key.stringValue == "people" && field.isEmpty && row == nil
                if !afterPeople { field.append(key.intValue.map { "[\($0)]" } ?? key.stringValue) }
            }
        }
        let fieldName =
            field.isEmpty ? (path.isEmpty ? "file" : "people") : field.joined(separator: ".")
        return .init(row: row, field: fieldName, reason: reason)
    }

    static func hexBytes(_ hex: String) -> [UInt8]? {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(chars.count / 2)
        var index = 0
        while index < chars.count {
            guard let byte = UInt8(String(decoding: chars[index..<index + 2], as: UTF8.self), radix: 16) else {
                return nil
            }
            bytes.append(byte)
            index += 2
        }
        return bytes
    }
}
