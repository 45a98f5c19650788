import Foundation
import FuzzSupport
import KioskCore

/// Snapshot payloads (`SnapshotPayload.decode`, `SnapshotPayloadReader` fed in pieces, `PackedStatus`): header,
/// entries, key order, packed records, popup texts.
///
/// Invariants: decoding never traps (every malformed input is a `SnapshotFormatError`); the streaming reader fed in
/// pieces gives the same entries and the same error as decoding at once; a decoded payload re-encodes, and the
/// re-encoding decodes to the same payload (and is the input itself unless the input spelled a default popup text);
/// every packed record re-packs to its 16 bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSnapshotPayload(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = FuzzInput(data, size).bytes

    let whole: Result<SnapshotPayload, SnapshotFormatError>
    do {
        whole = .success(try SnapshotPayload.decode(bytes))
    } catch {
        whole = .failure(error)
    }

    // The same bytes through the streaming reader, in pieces of 1, 5, 17 and 64 bytes in turn.
    var reader = SnapshotPayloadReader()
    var entries: [SnapshotPayloadEntry] = []
    var streamed: Result<[SnapshotPayloadEntry], SnapshotFormatError>?
    do {
        for chunk in chunks(of: bytes, sizes: [1, 5, 17, 64]) {
            reader.feed(chunk)
            while let entry = try reader.nextEntry() { entries.append(entry) }
        }
        try reader.finish()
        streamed = .success(entries)
    } catch {
        streamed = .failure(error)
        invariant((try? reader.nextEntry()) == nil, "the reader went on after an error")
    }
    switch (whole, streamed!) {
    case (.success(let payload), .success(let entries)):
        invariant(payload.entries == entries && reader.header == payload.header, "streaming read differs")
        invariant(reader.isComplete && reader.entriesRead == entries.count, "reader not complete")
    case (.failure(let a), .failure(let b)):
        invariant(a == b, "streaming read fails with \(b), whole with \(a)")
    default:
        invariant(false, "streaming read and whole read disagree")
    }
    guard case .success(let payload) = whole else { return 0 }

    invariant(payload.header.entryCount == payload.entries.count, "entry count")
    let encoded: [UInt8]
    do {
        encoded = try payload.encoded()
    } catch {
        invariant(false, "a decoded payload does not encode: \(error)")
        return 0
    }
    let again = try? SnapshotPayload.decode(encoded)
    invariant(again == payload, "the re-encoded payload decodes differently")
    if encoded != bytes {
        invariant(
            spellsADefaultPopupText(payload) && encoded.count < bytes.count,
            "re-encoding changed bytes other than default popup texts")
    }
    for entry in payload.entries {
        guard case .upsert(let record) = entry.change, let packed = try? PackedStatus(record) else { continue }
        invariant((try? packed.record(customPopupText: PackedStatus.customPopupText(of: record))) == record, "re-pack")
    }
    _ = SnapshotPayload.sha256Hex(of: bytes)
    return 0
}

/// Whether the input carries a popup text (op bit 0x80) on an entry whose text is the default for its code, which
/// the writer leaves out: the only difference a re-encoding may have.
private func spellsADefaultPopupText(_ payload: SnapshotPayload) -> Bool {
    payload.entries.contains { entry in
        guard case .upsert(let record) = entry.change, let popup = record.popup else { return false }
        return PackedStatus.customPopupText(of: record) == nil && popup.guidance == Popup(code: popup.code).guidance
    }
}

/// Seeds: the full and delta payloads of SnapshotPayloadTests (every record field, custom and empty popup texts,
/// deletes), an empty full payload, and one record per status.
@_cdecl("LLVMFuzzerInitialize")
public func initializeSnapshotPayload(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    writeSeedsIfAsked {
        let origin = Date(timeIntervalSince1970: 1_577_836_800)
        func key(_ n: UInt8) -> SubjectKey { SubjectKey(bytes: [UInt8](repeating: 0, count: 15) + [n])! }
        let records: [StatusRecord] = [
            StatusRecord(status: .normal, updatedAt: origin),
            StatusRecord(
                status: .homeObservation, popup: Popup(code: 2),
                nucleicAcidTest: NucleicAcidTest(
                    sampledAt: Date(timeIntervalSince1970: 1_714_550_400), result: .negative),
                vaccination: Vaccination(doses: 3, lastDose: CalendarDate(year: 2022, month: 2, day: 28)),
                commuter: CommuterMark(validUntil: CalendarDate(year: 2024, month: 5, day: 14)!),
                updatedAt: Date(timeIntervalSince1970: 1_714_560_000)),
            StatusRecord(
                status: .centralizedObservation,
                popup: Popup(code: 77, guidance: Guidance(zh: "请到社区报到", en: "Report to your community")),
                nucleicAcidTest: NucleicAcidTest(sampledAt: origin, result: .pending),
                vaccination: Vaccination(doses: 0, lastDose: nil), updatedAt: Date(timeIntervalSince1970: 1_900_000_000)
            ),
            StatusRecord(
                status: .normal, popup: Popup(code: 3, guidance: Guidance(zh: "", en: "")),
                nucleicAcidTest: NucleicAcidTest(sampledAt: origin + 1, result: .positive),
                commuter: CommuterMark(validUntil: CalendarDate(year: 2199, month: 6, day: 5)!),
                updatedAt: Date(timeIntervalSince1970: 1_600_000_000)),
        ]
        let full = SnapshotPayload(
            header: SnapshotPayloadHeader(
                kind: .full, epoch: 5, sequence: 9, createdAt: Date(timeIntervalSince1970: 1_714_560_000), entryCount: 0
            ),
            entries: records.enumerated().map {
                SnapshotPayloadEntry(key: key(UInt8($0.offset * 2 + 1)), change: .upsert($0.element))
            })
        let delta = SnapshotPayload(
            header: SnapshotPayloadHeader(
                kind: .delta, epoch: 5, sequence: 10, fromSequence: 9,
                createdAt: Date(timeIntervalSince1970: 1_714_570_000), entryCount: 0),
            entries: [
                SnapshotPayloadEntry(key: key(1), change: .delete),
                SnapshotPayloadEntry(key: key(2), change: .upsert(records[2])),
                SnapshotPayloadEntry(key: key(9), change: .delete),
            ])
        let empty = SnapshotPayload(
            header: SnapshotPayloadHeader(kind: .full, epoch: 0, sequence: 1, createdAt: origin, entryCount: 0),
            entries: [])
        return CardSeeds.unique([
            ("full", try! full.encoded()), ("delta", try! delta.encoded()), ("empty", try! empty.encoded()),
        ])
    }
    return 0
}

/// `main` (SwiftPM aliases it to `<module>_main`): libFuzzer's driver with this harness.
@_cdecl("fuzz_snapshot_payload_main")
public func fuzz_snapshot_payload_main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt
{
    runLibFuzzer(argc, argv, fuzzSnapshotPayload)
}
