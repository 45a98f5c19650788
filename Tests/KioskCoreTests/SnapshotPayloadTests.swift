import Foundation
import KioskCore
import Testing

@Suite("Snapshot payload format")
struct SnapshotPayloadTests {
    static let origin = Date(timeIntervalSince1970: 1_577_836_800)

    static func key(_ n: UInt8) -> SubjectKey { SubjectKey(bytes: [UInt8](repeating: 0, count: 15) + [n])! }

    static let richRecord = StatusRecord(
        status: .homeObservation, popup: Popup(code: 2),
        nucleicAcidTest: NucleicAcidTest(sampledAt: Date(timeIntervalSince1970: 1_714_550_400), result: .negative),
        vaccination: Vaccination(doses: 3, lastDose: CalendarDate(year: 2022, month: 2, day: 28)),
        commuter: CommuterMark(validUntil: CalendarDate(year: 2024, month: 5, day: 14)!),
        updatedAt: Date(timeIntervalSince1970: 1_714_560_000))

    static let records: [StatusRecord] = [
        StatusRecord(status: .normal, updatedAt: origin),
        richRecord,
        StatusRecord(
            status: .centralizedObservation,
            popup: Popup(code: 77, guidance: Guidance(zh: "请到社区报到", en: "Report to your community")),
            nucleicAcidTest: NucleicAcidTest(sampledAt: origin, result: .pending),
            vaccination: Vaccination(doses: 0, lastDose: nil), updatedAt: Date(timeIntervalSince1970: 1_900_000_000)),
        StatusRecord(
            status: .normal, popup: Popup(code: 3, guidance: Guidance(zh: "", en: "")),
            nucleicAcidTest: NucleicAcidTest(sampledAt: origin + 1, result: .positive),
            commuter: CommuterMark(validUntil: CalendarDate(year: 2199, month: 6, day: 5)!),
            updatedAt: Date(timeIntervalSince1970: 1_600_000_000)),
    ]

    static func fullPayload() -> SnapshotPayload {
        SnapshotPayload(
            header: SnapshotPayloadHeader(
                kind: .full, epoch: 5, sequence: 9, createdAt: Date(timeIntervalSince1970: 1_714_560_000),
                entryCount: 0),
            entries: records.enumerated().map { SnapshotPayloadEntry(key: key(UInt8($0.offset * 2 + 1)), change: .upsert($0.element)) })
    }

    static func deltaPayload() -> SnapshotPayload {
        SnapshotPayload(
            header: SnapshotPayloadHeader(
                kind: .delta, epoch: 5, sequence: 10, fromSequence: 9, createdAt: Date(timeIntervalSince1970: 1_714_570_000),
                entryCount: 0),
            entries: [
                SnapshotPayloadEntry(key: key(1), change: .delete),
                SnapshotPayloadEntry(key: key(2), change: .upsert(records[2])),
                SnapshotPayloadEntry(key: key(9), change: .delete),
            ])
    }

    @Test func packedStatusRoundTripsEveryField() throws {
        for record in Self.records {
            let packed = try PackedStatus(record)
            #expect(packed.bytes.count == 16)
            #expect(try packed.record(customPopupText: PackedStatus.customPopupText(of: record)) == record)
        }
    }

    @Test func packedStatusLayoutIsAsDocumented() throws {
        let b = try PackedStatus(Self.richRecord).bytes
        #expect(b[0] == 1 && b[1] == 2 && b[2] == 1 && b[3] == 3)
        #expect(b[4..<8].reduce(0) { $0 << 8 | UInt32($1) } == 1_714_550_400 - 1_577_836_800)
        #expect(UInt16(b[8]) << 8 | UInt16(b[9]) == 789)  // 2022-02-28 is 789 days after 2020-01-01
        #expect(b[12..<16].reduce(0) { $0 << 8 | UInt32($1) } == 1_714_560_000 - 1_577_836_800)
        let bare = try PackedStatus(StatusRecord(status: .normal, updatedAt: Self.origin)).bytes
        #expect(bare == [0, 0, 0, 0xFF, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0])
    }

    @Test func packedStatusTruncatesFractionsAndRejectsUnrepresentableValues() throws {
        let fractional = StatusRecord(status: .normal, updatedAt: Self.origin + 10.9)
        #expect(try PackedStatus(fractional).record().updatedAt == Self.origin + 10)
        let bad: [StatusRecord] = [
            StatusRecord(status: .normal, updatedAt: Self.origin - 1),
            StatusRecord(status: .normal, updatedAt: Self.origin + Double(UInt32.max) + 1),
            StatusRecord(status: .normal, popup: Popup(code: 256), updatedAt: Self.origin),
            StatusRecord(status: .normal, popup: Popup(code: 0), updatedAt: Self.origin),
            StatusRecord(status: .normal, vaccination: Vaccination(doses: 255, lastDose: nil), updatedAt: Self.origin),
            StatusRecord(status: .normal, vaccination: Vaccination(doses: -1, lastDose: nil), updatedAt: Self.origin),
            StatusRecord(
                status: .normal, vaccination: Vaccination(doses: 1, lastDose: CalendarDate(year: 2019, month: 12, day: 31)),
                updatedAt: Self.origin),
            StatusRecord(
                status: .normal, commuter: CommuterMark(validUntil: CalendarDate(year: 2199, month: 6, day: 6)!),
                updatedAt: Self.origin),
        ]
        for record in bad {
            #expect(throws: SnapshotFormatError(.unrepresentable)) { try PackedStatus(record) }
        }
    }

    @Test func packedStatusRejectsBadBytes() {
        let good = try! PackedStatus(StatusRecord(status: .normal, updatedAt: Self.origin)).bytes
        for (index, value) in [(0, UInt8(3)), (2, 4), (4, 1), (8, 0)] {
            var b = good
            b[index] = value
            #expect(throws: SnapshotFormatError(.badRecord)) { try PackedStatus(bytes: b)!.record() }
        }
    }

    @Test func fullAndDeltaRoundTrip() throws {
        for payload in [Self.fullPayload(), Self.deltaPayload()] {
            let bytes = try payload.encoded()
            let decoded = try SnapshotPayload.decode(bytes)
            #expect(decoded.entries == payload.entries)
            #expect(decoded.header.entryCount == payload.entries.count)
            #expect(decoded.header.kind == payload.header.kind)
            #expect(decoded.header.sequence == payload.header.sequence)
            #expect(decoded.header.fromSequence == payload.header.fromSequence)
            #expect(decoded.header.createdAt == payload.header.createdAt)
            #expect(try SnapshotPayload.decode(Data(bytes)) == decoded)
        }
    }

    @Test func sizesAreAsDocumented() throws {
        var plain = Self.fullPayload()
        plain.entries = plain.entries.filter { entry in
            if case .upsert(let r) = entry.change { return PackedStatus.customPopupText(of: r) == nil }
            return true
        }
        #expect(try plain.encoded().count == 45 + 33 * plain.entries.count)
        let delta = try Self.deltaPayload().encoded()
        let text = Array("请到社区报到".utf8).count + Array("Report to your community".utf8).count + 4
        #expect(delta.count == 45 + 17 + (33 + text) + 17)
        #expect(Array(delta.prefix(8)) == Array("CKSNAP01".utf8))
    }

    @Test func incrementalReadingByteByByteMatchesWholeReading() throws {
        let bytes = try Self.deltaPayload().encoded() + []
        let whole = try SnapshotPayload.decode(bytes)
        for chunk in [1, 2, 7, 33, 1000] {
            var reader = SnapshotPayloadReader()
            var entries: [SnapshotPayloadEntry] = []
            var index = 0
            while index < bytes.count {
                reader.feed(bytes[index..<min(bytes.count, index + chunk)])
                index += chunk
                while let entry = try reader.nextEntry() { entries.append(entry) }
            }
            try reader.finish()
            #expect(entries == whole.entries)
            #expect(reader.header == whole.header)
        }
    }

    @Test func everyTruncationIsAnErrorNotACrash() throws {
        for payload in [Self.fullPayload(), Self.deltaPayload()] {
            let bytes = try payload.encoded()
            for length in 0..<bytes.count {
                #expect(throws: SnapshotFormatError(.truncated)) { try SnapshotPayload.decode(Array(bytes.prefix(length))) }
            }
        }
    }

    @Test func everySingleByteCorruptionIsHandled() throws {
        let bytes = try Self.deltaPayload().encoded()
        for index in bytes.indices {
            for value: UInt8 in [0x00, 0x7F, 0x80, 0xFF] {
                var corrupted = bytes
                corrupted[index] = value
                _ = try? SnapshotPayload.decode(corrupted)  // must return or throw, never trap
            }
        }
    }

    @Test func trailingBytesAndBadMagicAndVersion() throws {
        let bytes = try Self.fullPayload().encoded()
        #expect(throws: SnapshotFormatError(.trailingBytes)) { try SnapshotPayload.decode(bytes + [0]) }
        var magic = bytes
        magic[0] = UInt8(ascii: "X")
        #expect(throws: SnapshotFormatError(.badMagic)) { try SnapshotPayload.decode(magic) }
        var version = bytes
        version[7] = UInt8(ascii: "2")
        #expect(throws: SnapshotFormatError(.unsupportedVersion)) { try SnapshotPayload.decode(version) }
        var reader = SnapshotPayloadReader()
        reader.feed([UInt8(ascii: "G")])
        #expect(throws: SnapshotFormatError(.badMagic)) { try reader.nextEntry() }
        #expect(throws: SnapshotFormatError(.badMagic)) { try reader.nextEntry() }  // sticky
    }

    @Test func unsortedDuplicateAndBadOpsAreDetectedWhenReading() throws {
        let bytes = try Self.deltaPayload().encoded()
        // Entries start at 45: key(1) delete (17 bytes), then key(2) upsert with text.
        var duplicate = bytes
        duplicate[45 + 17 + 15] = 1
        #expect(throws: SnapshotFormatError(.duplicateKey)) { try SnapshotPayload.decode(duplicate) }
        var unsorted = bytes
        unsorted[45 + 17 + 15] = 0
        #expect(throws: SnapshotFormatError(.unsorted)) { try SnapshotPayload.decode(unsorted) }
        var badOp = bytes
        badOp[45 + 16] = 2
        #expect(throws: SnapshotFormatError(.badOp)) { try SnapshotPayload.decode(badOp) }
        var textOnDelete = bytes
        textOnDelete[45 + 16] = 0x81
        #expect(throws: SnapshotFormatError(.badOp)) { try SnapshotPayload.decode(textOnDelete) }
        var deleteInFull = bytes
        deleteInFull[8] = 0
        deleteInFull.replaceSubrange(21..<29, with: [UInt8](repeating: 0, count: 8))
        #expect(throws: SnapshotFormatError(.badOp)) { try SnapshotPayload.decode(deleteInFull) }
        var badKind = bytes
        badKind[8] = 2
        #expect(throws: SnapshotFormatError(.badHeader)) { try SnapshotPayload.decode(badKind) }
        var hugeCount = bytes
        hugeCount.replaceSubrange(37..<45, with: [UInt8](repeating: 0xFF, count: 8))
        #expect(throws: SnapshotFormatError(.badHeader)) { try SnapshotPayload.decode(hugeCount) }
        var badText = bytes
        badText[45 + 17 + 17 + 16 + 2] = 0xFF  // first byte of the zh text
        #expect(throws: SnapshotFormatError(.badRecord)) { try SnapshotPayload.decode(badText) }
    }

    /// Found by the `snapshot-payload` fuzzer (Fuzz/): the delta payload with fromSequence 0 and a createdAt of
    /// 0x0900000066324310 seconds decoded, but its `Date` (a `Double`) could not hold that many seconds exactly, so it
    /// re-encoded to other bytes; near 2^63 re-encoding trapped. createdAt is now limited to 1970…9999 (what RFC 3339
    /// and the manifest can write) when reading and writing.
    @Test func createdAtOutside1970To9999IsABadHeader() throws {
        let fuzzed: [UInt8] = [
            0x43, 0x4B, 0x53, 0x4E, 0x41, 0x50, 0x30, 0x31, 0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x0A, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x66, 0x32, 0x43,
            0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x80, 0x02, 0x4D, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF,
            0xFF, 0x13, 0x33, 0xD2, 0x00, 0x00, 0x12, 0xE8, 0xAF, 0xB7, 0xE5, 0x88, 0xB0, 0xE7, 0xA4, 0xBE, 0xE5, 0x8C,
            0xBA, 0xE6, 0x8A, 0xA5, 0xE5, 0x88, 0xB0, 0x00, 0x18, 0x52, 0x65, 0x70, 0x6F, 0x72, 0x74, 0x20, 0x74, 0x6F,
            0x20, 0x79, 0x6F, 0x75, 0x72, 0x20, 0x63, 0x6F, 0x6D, 0x6D, 0x75, 0x6E, 0x69, 0x74, 0x79, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x01,
        ]
        #expect(throws: SnapshotFormatError(.badHeader)) { try SnapshotPayload.decode(fuzzed) }
        var valid = fuzzed
        valid.replaceSubrange(29..<37, with: [0, 0, 0, 0, 0x66, 0x32, 0x43, 0x10])  // 2024-05-01T13:26:40Z
        let payload = try SnapshotPayload.decode(valid)
        #expect(payload.header.createdAt == Date(timeIntervalSince1970: 1_714_570_000))
        #expect(try payload.encoded() == valid)

        func withCreatedAt(_ seconds: Int64) -> [UInt8] {
            var bytes = valid
            bytes.replaceSubrange(29..<37, with: (0..<8).map { UInt8(truncatingIfNeeded: UInt64(bitPattern: seconds) >> (56 - 8 * $0)) })
            return bytes
        }
        for seconds: Int64 in [.max, .max - 100, (1 << 53) + 1, 253_402_300_800, -1, .min] {
            #expect(throws: SnapshotFormatError(.badHeader)) { try SnapshotPayload.decode(withCreatedAt(seconds)) }
        }
        let last = try SnapshotPayload.decode(withCreatedAt(253_402_300_799))
        #expect(try last.encoded() == withCreatedAt(253_402_300_799))
        #expect(throws: SnapshotFormatError(.badHeader)) {
            try SnapshotPayloadWriter(
                header: SnapshotPayloadHeader(
                    kind: .full, epoch: 1, sequence: 1, createdAt: Date(timeIntervalSince1970: 253_402_300_800),
                    entryCount: 0))
        }
        #expect(throws: SnapshotFormatError(.badHeader)) {
            try SnapshotPayloadWriter(
                header: SnapshotPayloadHeader(
                    kind: .full, epoch: 1, sequence: 1, createdAt: Date(timeIntervalSince1970: -1), entryCount: 0))
        }
    }

    @Test func writerEnforcesOrderCountAndKind() throws {
        let header = SnapshotPayloadHeader(kind: .full, epoch: 1, sequence: 1, createdAt: Self.origin, entryCount: 2)
        let upsert = SnapshotPayloadEntry.Change.upsert(StatusRecord(status: .normal, updatedAt: Self.origin))
        var writer = try SnapshotPayloadWriter(header: header)
        try writer.append(SnapshotPayloadEntry(key: Self.key(5), change: upsert))
        #expect(throws: SnapshotFormatError(.duplicateKey)) {
            try writer.append(SnapshotPayloadEntry(key: Self.key(5), change: upsert))
        }
        #expect(throws: SnapshotFormatError(.unsorted)) {
            try writer.append(SnapshotPayloadEntry(key: Self.key(4), change: upsert))
        }
        #expect(throws: SnapshotFormatError(.badOp)) {
            try writer.append(SnapshotPayloadEntry(key: Self.key(6), change: .delete))
        }
        #expect(throws: SnapshotFormatError(.countMismatch)) { try writer.finish() }
        let head = writer.takeBytes()
        try writer.append(SnapshotPayloadEntry(key: Self.key(6), change: upsert))
        #expect(throws: SnapshotFormatError(.countMismatch)) {
            try writer.append(SnapshotPayloadEntry(key: Self.key(7), change: upsert))
        }
        let bytes = head + (try writer.finish())
        #expect(try SnapshotPayload.decode(bytes).entries.map(\.key) == [Self.key(5), Self.key(6)])
        #expect(throws: SnapshotFormatError(.badHeader)) {
            try SnapshotPayloadWriter(
                header: SnapshotPayloadHeader(kind: .delta, epoch: 1, sequence: 3, fromSequence: 3, createdAt: Self.origin, entryCount: 0))
        }
    }

    @Test func sha256IsLowerCaseHex() {
        #expect(
            SnapshotPayload.sha256Hex(of: Array("abc".utf8))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let ref = PayloadReference(url: "/x", sha256: SnapshotPayload.sha256Hex(of: Data("abc".utf8)), bytes: 3)
        #expect(ref.matches(Data("abc".utf8)))
        #expect(!ref.matches(Data("abd".utf8)))
    }
}
