import Foundation
import SmartCard
import Testing
import VirtualCard

/// The GA 467 frame codec: ready-made frames of cards.md §4.2/§8.3, and the streaming decoder fed every way a serial
/// line can deliver bytes.
@Suite struct SAMFrameCodecTests {
    static func hex(_ text: String) -> [UInt8] {
        text.split(separator: " ").map { UInt8($0, radix: 16)! }
    }

    /// The 1 295-byte `30 01` reply of cards.md §8.3 for 王小测.
    static let readReply = SAMResponse(status: .success, data: SAMCardImage.wangXiaoce.readReplyData).encoded()

    @Test func commandFramesMatchTheTable() {
        #expect(SAMCommand.resetSAM.encoded() == Self.hex("AA AA AA 96 69 00 03 10 FF EC"))
        #expect(SAMCommand.samStatus.encoded() == Self.hex("AA AA AA 96 69 00 03 11 FF ED"))
        #expect(SAMCommand.readSAMID.encoded() == Self.hex("AA AA AA 96 69 00 03 12 FF EE"))
        #expect(SAMCommand.findCard.encoded() == Self.hex("AA AA AA 96 69 00 03 20 01 22"))
        #expect(SAMCommand.selectCard.encoded() == Self.hex("AA AA AA 96 69 00 03 20 02 21"))
        #expect(SAMCommand.readText.encoded() == Self.hex("AA AA AA 96 69 00 03 30 01 32"))
        #expect(SAMCommand.readExtraAddress.encoded() == Self.hex("AA AA AA 96 69 00 03 30 03 30"))
        #expect(SAMCommand.readTextWithFingerprint.encoded() == Self.hex("AA AA AA 96 69 00 03 30 10 23"))
    }

    @Test func replyFramesMatchSection8_3() {
        #expect(SAMResponse(status: .cardFound, data: [0, 0, 0, 0]).encoded()
            == Self.hex("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97"))
        #expect(SAMResponse(status: .noCard).encoded() == Self.hex("AA AA AA 96 69 00 04 00 00 80 84"))
        #expect(SAMResponse(status: .success, data: [UInt8](repeating: 0, count: 8)).encoded()
            == Self.hex("AA AA AA 96 69 00 0C 00 00 90 00 00 00 00 00 00 00 00 9C"))
        #expect(SAMResponse(status: .selectFailed).encoded() == Self.hex("AA AA AA 96 69 00 04 00 00 81 85"))
        #expect(SAMResponse(status: .readFailed).encoded() == Self.hex("AA AA AA 96 69 00 04 00 00 41 45"))
        let read = Self.readReply
        #expect(read.count == 1295)
        #expect(Array(read.prefix(14)) == Self.hex("AA AA AA 96 69 05 08 00 00 90 01 00 04 00"))
        #expect(read.last == 0xB5)
        let withFingerprint = SAMResponse(
            status: .success,
            data: SAMCardRecord(text: SAMCardImage.wangXiaoce.textBlock, photo: [UInt8](repeating: 0, count: 1024),
                                fingerprint: [UInt8](repeating: 0, count: 1024)).replyData
        ).encoded()
        #expect(withFingerprint.count == 2321)
        #expect(Array(withFingerprint.prefix(10)) == Self.hex("AA AA AA 96 69 09 0A 00 00 90"))
    }

    @Test func everyStatusOfTheTableMapsBothWays() {
        let table: [(UInt8, SAMStatus)] = [
            (0x90, .success), (0x9F, .cardFound), (0x10, .checksumError), (0x11, .lengthError),
            (0x21, .commandError), (0x23, .privilegeError), (0x24, .unrecognisedError),
            (0x31, .cardAuthenticationFailed), (0x32, .samAuthenticationFailed), (0x33, .verificationError),
            (0x40, .unknownCardType), (0x41, .readFailed), (0x47, .randomFailed), (0x60, .selfTestFailed),
            (0x66, .notAuthorised), (0x80, .noCard), (0x81, .selectFailed), (0x91, .noContent),
            (0xFF, .communicationFault),
        ]
        for (raw, status) in table {
            #expect(SAMStatus(rawValue: raw) == status)
            #expect(status.rawValue == raw)
            #expect(status.meaning != "unknown status")
        }
        #expect(SAMStatus(rawValue: 0x42) == .unknown(0x42))
        #expect(SAMStatus.unknown(0x42).rawValue == 0x42)
        #expect("\(SAMStatus.readFailed)" == "SW3 41 (read card failed)")
    }

    @Test func theReadReplyDecodesWhenSplitAtEveryByte() {
        let frame = Self.readReply
        let expected = Array(frame[7..<(frame.count - 1)])
        for split in 1..<frame.count {
            var decoder = SAMFrameDecoder.forReplies()
            decoder.append(frame[..<split])
            #expect(decoder.next() == nil, "complete after only \(split) bytes")
            decoder.append(frame[split...])
            #expect(decoder.next() == .frame(expected), "split at \(split)")
            #expect(decoder.next() == nil)
            #expect(decoder.pendingByteCount == 0)
        }
        var bytewise = SAMFrameDecoder.forReplies()
        var outputs: [SAMFrameDecoder.Output] = []
        for byte in frame {
            bytewise.append([byte])
            while let output = bytewise.next() { outputs.append(output) }
        }
        #expect(outputs == [.frame(expected)])
        let reply = SAMResponse(body: expected)
        #expect(reply?.status == .success)
        #expect(reply.flatMap { SAMCardRecord(replyData: $0.data) }?.text == SAMCardImage.wangXiaoce.textBlock)
    }

    @Test func aCorruptChecksumIsDroppedAndTheNextFrameStillDecodes() {
        var corrupt = Self.readReply
        corrupt[corrupt.count - 1] ^= 0x01
        let good = SAMResponse(status: .noCard).encoded()
        var decoder = SAMFrameDecoder.forReplies()
        decoder.append(corrupt + good)
        #expect(decoder.next() == .dropped(.badChecksum(computed: 0xB5, received: 0xB4)))
        #expect(decoder.next() == .frame([0, 0, 0x80]))
        #expect(decoder.next() == nil)
        #expect(decoder.droppedFrameCount == 1)
    }

    @Test func garbageBeforeThePreambleIsSkipped() {
        let good = SAMResponse(status: .cardFound, data: [0, 0, 0, 0]).encoded()
        // Noise that includes partial preambles (AA AA, AA AA AA 96) before the real one.
        let noise: [UInt8] = [0x00, 0xFF, 0xAA, 0xAA, 0x13, 0xAA, 0xAA, 0xAA, 0x96, 0x00, 0xAA]
        var decoder = SAMFrameDecoder.forReplies()
        decoder.append(noise)
        #expect(decoder.next() == nil)
        #expect(decoder.pendingByteCount <= 4)
        decoder.append(good)
        #expect(decoder.next() == .frame([0, 0, 0x9F, 0, 0, 0, 0]))
        #expect(decoder.noiseByteCount == noise.count)
        // An extra AA right before the preamble.
        var extra = SAMFrameDecoder.forReplies()
        extra.append([0xAA] + good)
        #expect(extra.next() == .frame([0, 0, 0x9F, 0, 0, 0, 0]))
    }

    @Test func twoFramesInOneBuffer() {
        let find = SAMResponse(status: .cardFound, data: [0, 0, 0, 0]).encoded()
        let select = SAMResponse(status: .success, data: [UInt8](repeating: 0, count: 8)).encoded()
        var decoder = SAMFrameDecoder.forReplies()
        decoder.append(find + select + Array(find.prefix(3)))
        #expect(decoder.next() == .frame([0, 0, 0x9F, 0, 0, 0, 0]))
        #expect(decoder.next() == .frame([0, 0, 0x90] + [UInt8](repeating: 0, count: 8)))
        #expect(decoder.next() == nil)
        decoder.append(find.dropFirst(3))
        #expect(decoder.next() == .frame([0, 0, 0x9F, 0, 0, 0, 0]))
    }

    @Test func lengthFieldsThatLieAreNeverTrusted() {
        let good = SAMResponse(status: .noCard).encoded()
        // Too short for a reply (LEN 1), too long (LEN FFFF).
        var decoder = SAMFrameDecoder.forReplies()
        decoder.append(Self.hex("AA AA AA 96 69 00 01 01") + good)
        #expect(decoder.next() == .dropped(.lengthTooShort(1)))
        #expect(decoder.next() == .frame([0, 0, 0x80]))
        decoder.append(Self.hex("AA AA AA 96 69 FF FF 00 00 90") + good)
        #expect(decoder.next() == .dropped(.lengthTooLong(0xFFFF)))
        #expect(decoder.next() == .frame([0, 0, 0x80]))
        // Longer than what was sent: the next frame is swallowed, the checksum fails, the rescan finds it.
        var longer = SAMFrameDecoder.forReplies()
        longer.append(Self.hex("AA AA AA 96 69 00 08 00 00 9F 00") + good + [0, 0, 0])
        #expect(longer.next().map { if case .dropped(.badChecksum) = $0 { true } else { false } } == true)
        #expect(longer.next() == .frame([0, 0, 0x80]))
        // Longer than what was sent, and nothing follows: waits, then gives it up on request (a timeout).
        var stalled = SAMFrameDecoder.forReplies()
        stalled.append(Self.hex("AA AA AA 96 69 05 08 00 00 90 01 00"))
        #expect(stalled.next() == nil)
        let abandoned = stalled.abandonPartialFrame()
        #expect(abandoned)
        #expect(stalled.next() == nil)
        #expect(stalled.pendingByteCount < 5)
        // Shorter than what was sent: the checksum lands on a data byte.
        var shorter = SAMFrameDecoder.forReplies()
        shorter.append(Self.hex("AA AA AA 96 69 00 04 00 00 9F 00 00 00 00 97") + good)
        #expect(shorter.next().map { if case .dropped = $0 { true } else { false } } == true)
        #expect(shorter.next() == .frame([0, 0, 0x80]))
    }

    @Test func cardRecordSplitsBlocksAndRejectsLyingLengths() {
        let image = SAMCardImage.wangXiaoce
        let record = SAMCardRecord(replyData: image.readReplyData)
        #expect(record?.text.count == 256)
        #expect(record?.photo == [UInt8](repeating: 0, count: 1024))
        #expect(SAMCardRecord(replyData: [0x01, 0x00, 0x04, 0x00] + [UInt8](repeating: 0x20, count: 300)) == nil)
        #expect(SAMCardRecord(replyData: [0x01]) == nil)
        let fp = SAMCardRecord(replyData: image.readWithFingerprintReplyData, withFingerprint: true)
        #expect(fp?.fingerprint == [])
    }

    @Test func commandDecoderReadsHostFrames() {
        var decoder = SAMFrameDecoder.forCommands()
        decoder.append(SAMCommand.findCard.encoded() + SAMCommand.readText.encoded())
        #expect(Self.command(decoder.next()) == .findCard)
        #expect(Self.command(decoder.next()) == .readText)
    }

    static func command(_ output: SAMFrameDecoder.Output?) -> SAMCommand? {
        guard case .frame(let body)? = output else { return nil }
        return SAMCommand(body: body)
    }
}
