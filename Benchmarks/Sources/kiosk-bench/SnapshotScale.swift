import Foundation
import KioskCore
import Resolution

/// Snapshot at city scale (issue 4 "Scale", issue 7): generated subjects in a real payload file installed into a
/// real SQLite snapshot through the same streaming path `SnapshotSync` uses, then point lookups and a delta.
///
/// Figures: payload bytes per subject, full install time (SHA-256 check + parse + insert), database bytes per
/// subject, the start-up `quick_check` time, lookup p50/p99 (present and absent keys), delta apply time and bytes per
/// subject after it.
struct SnapshotScaleBenchmark {
    var subjects: Int
    var deltaChanges: Int
    var lookups: Int
    var directory: URL

    private static let epochKey = EpochKey(epoch: 1, bytes: Array(repeating: 0x42, count: 32))
    private static let createdAt = Date(timeIntervalSince1970: 1_795_939_200)  // 2026-11-29T08:00:00Z

    func run() throws -> [Figure] {
        let name = "snapshot \(Self.count(subjects))"
        var figures: [Figure] = []
        var rng = SplitMix64(state: 0xC0FFEE)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)

        // 1. Keys and the full payload (what kiosk-central publishes).
        var keys = (0..<subjects).map { _ in Key(hi: rng.next(), lo: rng.next()) }
        keys.sort()
        let fullFile = directory.appendingPathComponent("full.ckpayload")
        let (fullBytes, writeSeconds) = try measure {
            try Self.writePayload(
                to: fullFile, kind: .full, sequence: 1, from: 0,
                entries: keys.lazy.map { ($0, Change.upsert(Self.record(&rng))) }, count: keys.count)
        }
        log("wrote full payload: \(fullBytes) bytes in \(String(format: "%.1f", writeSeconds)) s")
        figures.append(Figure(benchmark: name, metric: "payload bytes/subject", value: Double(fullBytes) / Double(subjects), unit: "B", goal: nil))

        // 2. Install it: streamed hash, then streamed parse + insert in one transaction.
        let dbPath = directory.appendingPathComponent("snapshot.sqlite").path
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: dbPath + suffix) }
        let store = try SnapshotStore(path: dbPath)
        let (_, hashSeconds) = try measure { try Self.sha256(of: fullFile) }
        let metadata = SnapshotMetadata(epochKey: Self.epochKey, sequence: 1, createdAt: Self.createdAt, source: "bench")
        let (installed, installSeconds) = try measure { try store.install(payloadFile: fullFile, metadata: metadata) }
        precondition(installed.recordCount == subjects, "installed \(installed.recordCount) of \(subjects)")
        figures.append(Figure(benchmark: name, metric: "full install (hash+parse+insert)", value: hashSeconds + installSeconds, unit: "s", goal: nil))
        figures.append(Figure(benchmark: name, metric: "  of which SHA-256", value: hashSeconds, unit: "s", goal: nil))
        let dbBytes = try store.fileBytes()
        figures.append(Figure(benchmark: name, metric: "database bytes/subject", value: Double(dbBytes) / Double(subjects), unit: "B", goal: "22 M ≪ 1 GB: < 45"))
        log("installed in \(String(format: "%.1f", installSeconds)) s, database \(dbBytes) bytes")

        // 2b. The `PRAGMA quick_check` kioskd runs over the whole file at every start, on a thread of its own while
        // taps go on (the file is in the OS page cache here, as it is right after an install; cold flash is slower).
        let (problems, checkSeconds) = try measure { try store.quickCheck() }
        precondition(problems.isEmpty, "quick_check found \(problems.count) problems in a fresh snapshot")
        figures.append(Figure(benchmark: name, metric: "quick_check at start (background, warm OS cache)", value: checkSeconds, unit: "s", goal: nil))

        // 3. Point lookups of present and absent keys, one read transaction each (as the resolver does).
        var present: [Double] = []
        var absent: [Double] = []
        for i in 0..<lookups {
            let key = keys[Int(rng.next() % UInt64(keys.count))]
            let (hit, seconds) = try measure { try store.status(for: [key.subjectKey]) }
            precondition(hit != nil, "a present key was not found")
            present.append(seconds * 1000)
            if i % 4 == 0 {
                let stranger = Key(hi: rng.next(), lo: rng.next())
                let (miss, seconds) = try measure { try store.status(for: [stranger.subjectKey]) }
                precondition(miss == nil, "an absent key was found")
                absent.append(seconds * 1000)
            }
        }
        let hits = LatencySummary(milliseconds: present)
        let misses = LatencySummary(milliseconds: absent)
        figures.append(Figure(benchmark: name, metric: "lookup p50 (present)", value: hits.p50, unit: "ms", goal: "≪ 1 ms"))
        figures.append(Figure(benchmark: name, metric: "lookup p99 (present)", value: hits.p99, unit: "ms", goal: "≪ 1 ms"))
        figures.append(Figure(benchmark: name, metric: "lookup p99 (absent)", value: misses.p99, unit: "ms", goal: "≪ 1 ms"))

        // 4. A delta: 80 % changed records, 10 % new subjects, 10 % removed (unique keys, ascending).
        let changes = min(deltaChanges, subjects)
        var picked = Set<Int>()
        while picked.count < changes * 9 / 10 { picked.insert(Int(rng.next() % UInt64(subjects))) }
        var delta: [(Key, Change)] = []
        delta.reserveCapacity(changes)
        for (n, index) in picked.enumerated() {
            delta.append((keys[index], n % 9 == 0 ? .delete : .upsert(Self.record(&rng))))
        }
        while delta.count < changes { delta.append((Key(hi: rng.next(), lo: rng.next()), .upsert(Self.record(&rng)))) }
        delta.sort { $0.0 < $1.0 }
        let deltaFile = directory.appendingPathComponent("delta.ckpayload")
        let deltaBytes = try Self.writePayload(to: deltaFile, kind: .delta, sequence: 2, from: 1, entries: delta, count: delta.count)
        let (_, deltaHash) = try measure { try Self.sha256(of: deltaFile) }
        let next = SnapshotMetadata(epochKey: Self.epochKey, sequence: 2, createdAt: Self.createdAt.addingTimeInterval(3600), source: "bench")
        let (afterDelta, deltaSeconds) = try measure { try store.install(payloadFile: deltaFile, metadata: next) }
        figures.append(Figure(benchmark: name, metric: "delta \(Self.count(changes)) changes: bytes", value: Double(deltaBytes) / 1e6, unit: "MB", goal: nil))
        figures.append(Figure(benchmark: name, metric: "delta \(Self.count(changes)) changes: apply", value: deltaHash + deltaSeconds, unit: "s", goal: "tens of s"))
        figures.append(Figure(benchmark: name, metric: "database bytes/subject after delta", value: Double(try store.fileBytes()) / Double(afterDelta.recordCount), unit: "B", goal: nil))
        log("delta applied in \(String(format: "%.1f", deltaSeconds)) s; \(afterDelta.recordCount) subjects")
        for file in [fullFile, deltaFile] { try? FileManager.default.removeItem(at: file) }
        return figures
    }

    // MARK: Data

    struct Key: Comparable, Hashable {
        var hi: UInt64
        var lo: UInt64
        static func < (a: Key, b: Key) -> Bool { a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo }
        var subjectKey: SubjectKey {
            var bytes = [UInt8](repeating: 0, count: 16)
            for i in 0..<8 {
                bytes[i] = UInt8(truncatingIfNeeded: hi >> (56 - 8 * UInt64(i)))
                bytes[8 + i] = UInt8(truncatingIfNeeded: lo >> (56 - 8 * UInt64(i)))
            }
            return SubjectKey(bytes: bytes)!
        }
    }

    enum Change {
        case upsert(StatusRecord)
        case delete
    }

    /// A plausible mix: 96 % normal, 3 % home observation, 1 % centralized; 2 % with a pop-up; most with a recent
    /// negative test and a vaccination record; 5 % commuters.
    static func record(_ rng: inout SplitMix64) -> StatusRecord {
        let r = rng.next() % 1000
        let status: HealthStatus = r < 960 ? .normal : r < 990 ? .homeObservation : .centralizedObservation
        let popup = rng.next() % 50 == 0 ? Popup(code: Int(rng.next() % 6) + 1) : nil
        let sampled = createdAt.addingTimeInterval(-Double(rng.next() % (7 * 86400)))
        let nat = rng.next() % 10 < 7 ? NucleicAcidTest(sampledAt: sampled, result: .negative) : nil
        let doses = Int(rng.next() % 4)
        let vaccination = doses == 0 ? nil : Vaccination(doses: doses, lastDose: CalendarDate(year: 2022, month: 1 + Int(rng.next() % 12), day: 1 + Int(rng.next() % 28)))
        let commuter = rng.next() % 20 == 0 ? CommuterMark(validUntil: CalendarDate(year: 2026, month: 12, day: 31)!) : nil
        return StatusRecord(status: status, popup: popup, nucleicAcidTest: nat, vaccination: vaccination, commuter: commuter, updatedAt: createdAt)
    }

    @discardableResult
    static func writePayload(
        to file: URL, kind: SnapshotPayloadHeader.Kind, sequence: Int, from: Int,
        entries: some Sequence<(Key, Change)>, count: Int
    ) throws -> Int {
        FileManager.default.createFile(atPath: file.path, contents: nil)
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        var writer = try SnapshotPayloadWriter(
            header: SnapshotPayloadHeader(kind: kind, epoch: epochKey.epoch, sequence: sequence, fromSequence: from, createdAt: createdAt, entryCount: count))
        var written = 0
        for (key, change) in entries {
            switch change {
            case .upsert(let record): try writer.append(SnapshotPayloadEntry(key: key.subjectKey, change: .upsert(record)))
            case .delete: try writer.append(SnapshotPayloadEntry(key: key.subjectKey, change: .delete))
            }
            if writer.bufferedByteCount > 1 << 20 {
                let bytes = writer.takeBytes()
                written += bytes.count
                try handle.write(contentsOf: bytes)
            }
        }
        let rest = try writer.finish()
        written += rest.count
        try handle.write(contentsOf: rest)
        return written
    }

    static func sha256(of file: URL) throws -> String {
        try PayloadHasher.hex(ofFile: file)  // the streamed check SnapshotSync does before an install
    }

    static func count(_ n: Int) -> String { n % 1_000_000 == 0 ? "\(n / 1_000_000) M" : n % 1000 == 0 ? "\(n / 1000) k" : "\(n)" }
}

func log(_ message: String) {
    FileHandle.standardError.write(Data(("  · " + message + "\n").utf8))
}
