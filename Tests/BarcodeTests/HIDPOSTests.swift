import Barcode
import Foundation
import KioskCore
import Testing

struct HIDPOSTests {
    static let hc1Long = "HC1:" + String(repeating: "6BF+70790T9WJ$WG.FKY*4GO0 O1CV2-O5/ZQ%:", count: 4)

    static func codes(_ outputs: [HIDPOSDecoder.Output]) -> [HIDPOSDecoder.Output] { outputs }

    @Test func singleReportLayout() {
        let reports = HIDPOSDecoder.reports(for: Array("110101194605121231".utf8))
        #expect(reports.count == 1)
        #expect(reports[0].count == 64)
        #expect(Array(reports[0][0..<5]) == [0x02, 21, 0x5D, 0x51, 0x31])  // id, length, "]Q1"
        #expect(reports[0][63] == 0)
    }

    @Test func multiReportReassemblyDripFed() {
        let payload = Array(Self.hc1Long.utf8)
        let reports = HIDPOSDecoder.reports(for: payload)
        #expect(reports.count == 3)
        #expect(reports[0][63] & 1 == 1 && reports[1][63] & 1 == 1 && reports[2][63] & 1 == 0)
        let bytes = reports.flatMap { $0 }
        let now = ContinuousClock.now
        let expected: [HIDPOSDecoder.Output] = [.code(HIDPOSCode(aimIdentifier: "]Q1", payload: payload))]
        let failures = dripFeed(bytes, expect: expected) { chunks in
            var d = HIDPOSDecoder()
            return chunks.flatMap { d.consume($0, at: now) }
        }
        #expect(failures.isEmpty)
    }

    @Test func multiByteCharacterAcrossReportsDecodes() async throws {
        // 中 straddles the report boundary: decoding happens after reassembly, not per report.
        let text = String(repeating: "a", count: 52) + "中文健康码"
        let gbText = "王小测" + String(repeating: "1", count: 60)
        let gb: [UInt8] = [0xCD, 0xF5, 0xD0, 0xA1, 0xB2, 0xE2] + Array(repeating: 0x31, count: 60)
        let bytes =
            HIDPOSDecoder.reports(for: Array(text.utf8)).flatMap { $0 }
            + HIDPOSDecoder.reports(for: gb).flatMap { $0 }
            + HIDPOSDecoder.reports(for: [0xFF, 0xFE, 0xFF]).flatMap { $0 }
        let events = try await Replay.hidPOS(bytes)
        #expect(events.map(\.text.value) == [text, gbText, ""])
        #expect(events.last?.payload == .undecodable(byteCount: 3))
        #expect(events.allSatisfy { $0.kind == .hidPOS })
    }

    @Test func idAndHC1ThroughAPipe() async throws {
        let bytes = [Array("110101194605121231".utf8), Array(Self.hc1Long.utf8), Array(Self.hc1Long.utf8)]
            .flatMap { HIDPOSDecoder.reports(for: $0).flatMap { $0 } }
        let events = try await Replay.hidPOS(bytes)
        #expect(events.count == 2)  // the repeated HC1 is suppressed
        #expect(events.first?.payload.identity?.value == "110101194605121231")
        #expect(events.last?.payload == .euDCC(length: Self.hc1Long.count))
    }

    @Test func boundsAndMalformedReports() {
        let now = ContinuousClock.now
        var d = HIDPOSDecoder(maximumLength: 100)
        let long = HIDPOSDecoder.reports(for: Array(repeating: 0x41, count: 200)).flatMap { $0 }
        #expect(d.consume(long, at: now) == [.tooLong(length: 203)])
        var bad = HIDPOSDecoder.reports(for: [0x41])[0]
        bad[1] = 63
        #expect(d.consume(bad, at: now) == [.malformedReport])
        var other = HIDPOSDecoder.reports(for: [0x41])[0]
        other[0] = 0x04  // not the scanned-data report
        #expect(d.consume(other, at: now).isEmpty)
    }

    @Test func aSplitCodeWhoseRestNeverComesIsDropped() {
        let start = ContinuousClock.now
        var d = HIDPOSDecoder(continuationTimeout: .milliseconds(500))
        let reports = HIDPOSDecoder.reports(for: Array(Self.hc1Long.utf8))
        #expect(d.consume(reports[0], at: start).isEmpty)
        #expect(d.deadline == start + .milliseconds(500))
        #expect(d.deadlinePassed(at: start + .milliseconds(600)) == [.incomplete])
        #expect(
            d.consume(HIDPOSDecoder.reports(for: [0x31])[0], at: start + .seconds(1))
                == [.code(HIDPOSCode(aimIdentifier: "]Q1", payload: [0x31]))])
    }

    @Test func configurableOffsets() {
        var layout = HIDPOSReportLayout()
        layout.reportID = 0x01
        layout.reportSize = 32
        layout.dataCapacity = 28
        layout.moreDataOffset = 31
        layout.aimIdentifierLength = 0
        let payload = Array(repeating: UInt8(0x42), count: 70)
        var d = HIDPOSDecoder(layout: layout)
        let bytes = HIDPOSDecoder.reports(for: payload, aimIdentifier: nil, layout: layout).flatMap { $0 }
        #expect(bytes.count == 96)
        #expect(d.consume(bytes, at: .now) == [.code(HIDPOSCode(aimIdentifier: nil, payload: payload))])
    }

    /// Found by the `hidpos` fuzzer (Fuzz/): a layout whose more-data flag lies past the end of its 32-byte report
    /// passed the old precondition (report size above the data and length offsets), and the first report with the
    /// right ID was read out of bounds. Such a layout is now invalid, and the decoder refuses it at creation.
    @Test func aMoreDataFlagOutsideTheReportIsAnInvalidLayout() async {
        var layout = HIDPOSReportLayout()
        (layout.reportSize, layout.lengthOffset, layout.dataOffset, layout.dataCapacity) = (32, 0, 2, 24)
        layout.moreDataOffset = 218
        #expect(!layout.isValid)
        await #expect(processExitsWith: .failure) {
            var layout = HIDPOSReportLayout()
            (layout.reportSize, layout.lengthOffset, layout.dataOffset, layout.moreDataOffset) = (32, 0, 2, 218)
            _ = HIDPOSDecoder(layout: layout)
        }
        for (offset, valid) in [(31, true), (32, false), (-1, false)] {
            layout.moreDataOffset = offset
            #expect(layout.isValid == valid)
        }
        layout.moreDataOffset = nil
        #expect(layout.isValid)
        layout.dataOffset = -1
        #expect(!layout.isValid)

        // The fuzzer's hidraw bytes, through the same layout with the flag inside the report: the first report (ID 2
        // is also its length, 2) says more data follows, the second has another report ID and is skipped.
        layout.dataOffset = 2
        layout.moreDataOffset = 31
        let stream: [UInt8] = [
            0x02, 0x18, 0x42, 0x4A, 0xFF, 0x4A, 0x4B, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x6F, 0x45, 0x30, 0xCD, 0x00,
            0x01, 0x2F, 0x0C, 0x2D, 0x6E, 0x6F, 0x6E, 0x00, 0x00, 0x00, 0x00, 0x42, 0x3A, 0x61, 0x2D, 0x74, 0x54, 0x00,
            0x00, 0x00, 0x01, 0x02, 0x18, 0x1F, 0x68, 0x61, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x65, 0x02, 0x0C, 0x6E,
            0x2D, 0x6F, 0x6E, 0x65, 0x72, 0x65, 0x70, 0x2D, 0x2D, 0x6E, 0x6C, 0x6F, 0x6E, 0x67, 0x02, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x6F, 0x45, 0x30, 0xCD, 0x00, 0x01, 0x2F, 0x0C, 0x2D, 0x6E, 0x6F, 0x6E, 0x00, 0x00,
            0x00, 0x00, 0x00,
        ]
        let start = ContinuousClock.now
        var decoder = HIDPOSDecoder(layout: layout, maximumLength: 96, continuationTimeout: .seconds(1))
        #expect(decoder.consume(stream, at: start) == [])
        #expect(decoder.deadline == start + .seconds(1))
        #expect(decoder.deadlinePassed(at: start + .seconds(1)) == [.incomplete])
    }

    @Test func reportDescriptorUsagePage() {
        // Usage Page (0x8C), Usage (0x02 Bar Code Scanner), Collection (Application) …
        #expect(HIDPOSScannerSource.hasUsagePage0x8C([0x05, 0x8C, 0x09, 0x02, 0xA1, 0x01, 0xC0]))
        #expect(HIDPOSScannerSource.hasUsagePage0x8C([0x06, 0x8C, 0x00, 0x09, 0x02]))
        // A boot keyboard: Usage Page (Generic Desktop), Usage (Keyboard).
        #expect(!HIDPOSScannerSource.hasUsagePage0x8C([0x05, 0x01, 0x09, 0x06, 0xA1, 0x01]))
        // 0x8C as data of another item (Logical Minimum) is not a usage page.
        #expect(!HIDPOSScannerSource.hasUsagePage0x8C([0x05, 0x01, 0x15, 0x8C, 0x25, 0x05]))
    }
}
