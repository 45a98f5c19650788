import Testing
import VirtualCard

struct VPCDFrameDecoderTests {
    static let stream: [UInt8] = VPCDFrame.encode([4]) + VPCDFrame.encode([0x00, 0xA4, 0x04, 0x00, 0x00])
        + VPCDFrame.encode([1]) + VPCDFrame.encode([])
    static let payloads: [[UInt8]] = [[4], [0x00, 0xA4, 0x04, 0x00, 0x00], [1], []]

    @Test func allAtOnce() {
        var decoder = VPCDFrameDecoder()
        decoder.append(Self.stream)
        var out: [[UInt8]] = []
        while let p = decoder.next() { out.append(p) }
        #expect(out == Self.payloads)
        #expect(decoder.pendingByteCount == 0)
    }

    @Test func byteByByte() {
        var decoder = VPCDFrameDecoder()
        var out: [[UInt8]] = []
        for b in Self.stream {
            decoder.append([b])
            while let p = decoder.next() { out.append(p) }
        }
        #expect(out == Self.payloads)
    }

    @Test func splitAtEveryBoundary() {
        for cut in 0...Self.stream.count {
            var decoder = VPCDFrameDecoder()
            var out: [[UInt8]] = []
            decoder.append(Self.stream[..<cut])
            while let p = decoder.next() { out.append(p) }
            decoder.append(Self.stream[cut...])
            while let p = decoder.next() { out.append(p) }
            #expect(out == Self.payloads, "cut at \(cut)")
        }
    }

    @Test func encodeIsBigEndianLength() {
        #expect(VPCDFrame.encode(Array(repeating: 0, count: 0x0102)).prefix(2) == [0x01, 0x02])
    }
}
