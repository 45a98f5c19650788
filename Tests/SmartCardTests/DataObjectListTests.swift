import SmartCard
import Testing

@Suite("DOL and AFL (EMV Book 3 §5.4, §10.2)")
struct DataObjectListTests {
    @Test func parsesTheSection81PDOL() throws {
        let dol = try DataObjectList(parsing: [UInt8](hex: "9F 66 04 9F 02 06 9F 37 04 5F 2A 02")!)
        #expect(
            dol.entries == [
                .init(tag: 0x9F66, length: 4), .init(tag: 0x9F02, length: 6),
                .init(tag: 0x9F37, length: 4), .init(tag: 0x5F2A, length: 2),
            ])
        #expect(dol.totalLength == 16)
        #expect(dol.description == "9F66:4 9F02:6 9F37:4 5F2A:2")
    }

    @Test func truncatedDOLThrows() throws {
        #expect(throws: CardDataError(.truncatedDOL)) { try DataObjectList(parsing: [0x9F, 0x66]) }
        #expect(throws: CardDataError(.truncatedDOL)) { try DataObjectList(parsing: [0x9F]) }
        #expect(throws: CardDataError(.truncatedDOL)) { try DataObjectList(parsing: [0x9F, 0x66, 0x04, 0x95]) }
        #expect(try DataObjectList(parsing: []).entries.isEmpty)
    }

    @Test func buildFillsUnknownTagsWithZerosAndFitsLengths() {
        let dol = DataObjectList(entries: [
            .init(tag: 0x9F02, length: 4), .init(tag: 0x9F66, length: 2), .init(tag: 0xDF01, length: 3),
            .init(tag: 0x9C, length: 2), .init(tag: 0x50, length: 3),
        ])
        let built = dol.build { tag, _ in
            switch tag {
            case 0x9F02: ([0x00, 0x00, 0x00, 0x00, 0x12, 0x34], true)  // numeric, too long: cut on the left
            case 0x9F66: ([0x26, 0x00, 0x00, 0x00], false)  // binary, too long: cut on the right
            case 0x9C: ([0x01], true)  // numeric, too short: zeros on the left
            case 0x50: ([0x41], false)  // binary, too short: zeros on the right
            default: nil
            }
        }
        #expect(built == [0x00, 0x00, 0x12, 0x34, 0x26, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x41, 0x00, 0x00])
    }

    @Test func parsesTheSection81AFL() throws {
        let afl = try ApplicationFileLocator(parsing: [0x08, 0x01, 0x01, 0x00, 0x10, 0x01, 0x01, 0x00])
        #expect(afl.entries.map(\.sfi) == [1, 2])
        #expect(afl.entries.map(\.records) == [1...1, 1...1])
        #expect(afl.bytes == [0x08, 0x01, 0x01, 0x00, 0x10, 0x01, 0x01, 0x00])
        #expect(afl.description == "SFI 1 rec 1-1, SFI 2 rec 1-1")
    }

    @Test func aflRangesAndOfflineCount() throws {
        let afl = try ApplicationFileLocator(parsing: [0x18, 0x02, 0x05, 0x02])
        #expect(afl.entries[0].sfi == 3)
        #expect(Array(afl.entries[0].records) == [2, 3, 4, 5])
        #expect(afl.entries[0].offlineAuthenticationRecords == 2)
        #expect(try ApplicationFileLocator(parsing: []).entries.isEmpty)
    }

    @Test func badAFLsThrow() {
        #expect(throws: CardDataError(.aflLengthNotMultipleOf4)) {
            try ApplicationFileLocator(parsing: [0x08, 0x01, 0x01])
        }
        #expect(throws: CardDataError(.aflLengthNotMultipleOf4)) {
            try ApplicationFileLocator(parsing: [0x08, 0x01, 0x01, 0x00, 0x10])
        }
        #expect(throws: CardDataError(.aflInvalidSFI)) {
            try ApplicationFileLocator(parsing: [0x00, 0x01, 0x01, 0x00])
        }
        #expect(throws: CardDataError(.aflInvalidSFI)) {
            try ApplicationFileLocator(parsing: [0xF8, 0x01, 0x01, 0x00])
        }
        #expect(throws: CardDataError(.aflInvalidRecordRange)) {
            try ApplicationFileLocator(parsing: [0x08, 0x03, 0x02, 0x00])
        }
        #expect(throws: CardDataError(.aflInvalidRecordRange)) {
            try ApplicationFileLocator(parsing: [0x08, 0x00, 0x02, 0x00])
        }
    }
}
