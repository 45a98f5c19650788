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
        let data = try PeopleFile.contents(of: file)  // JSON, or CSV converted
        let installedSequence = try store.metadata()?.sequence
        let prepared: Prepared
        do {
            prepared = try prepare(data, installedSequence: installedSequence, now: now, timeZone: timeZone)
        } catch {
            throw PeopleFile.isCSV(file) ? error.numberedAsCSVRows() : error
        }
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

    /// Parses and validates a people file into snapshot entries, without touching any store. The parsing and
    /// validation are `PeopleFile.parse` in KioskCore (shared with the central service); this hashes every identity
    /// with the file's epoch key (generated when absent).
    static func prepare(_ data: Data, installedSequence: Int?, now: Date, timeZone: TimeZone) throws(PeopleFileError)
        -> Prepared
    {
        let parsed = try PeopleFile.parse(data, now: now, timeZone: timeZone)
        let epochKey =
            parsed.epochKey.map { EpochKey(epoch: parsed.epoch, bytes: $0) } ?? EpochKey.random(epoch: parsed.epoch)
        var entries: [SnapshotEntry] = []
        for person in parsed.people {
            for identity in person.identities {
                entries.append(SnapshotEntry(subjectKey: SubjectKey(identity: identity, epochKey: epochKey), record: person.record))
            }
        }
        let metadata = SnapshotMetadata(
            epochKey: epochKey, sequence: parsed.sequence ?? ((installedSequence ?? 0) + 1),
            createdAt: parsed.createdAt, recordCount: entries.count, source: parsed.source ?? "people-file")
        return Prepared(
            metadata: metadata, entries: entries, people: parsed.people.count,
            generatedEpochKey: parsed.epochKey == nil)
    }
}
