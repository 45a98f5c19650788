import FuzzSupport
import SmartCard
import VirtualCard

/// The GA 467 frame decoder (`SAMFrameDecoder`) over a byte stream from the serial line, then the reply and record
/// parsers (`SAMResponse(body:)`, `SAMCardRecord(replyData:)`) and the text block of a read reply.
///
/// Input: byte 0 picks the direction (bit 0: replies or commands) and whether a partial frame is abandoned at the end
/// (bit 1); byte 1 the piece size the line delivers (1–64, 0 = all at once); the rest is the line.
///
/// Invariants: decoding never traps; the frames are the same whatever the pieces; each frame's body re-encodes to a
/// frame that is in the input, with a length within the decoder's bounds; noise and frames never account for more
/// bytes than arrived; a card record splits into blocks that add up and re-encode to the reply data.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSAMFrame(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let mode = input.byte()
    let piece = Int(input.byte() % 65)
    let line = input.rest()
    let replies = mode & 1 == 0
    let makeDecoder = { replies ? SAMFrameDecoder.forReplies() : SAMFrameDecoder.forCommands() }

    var whole = makeDecoder()
    whole.append(line)
    let outputs = drain(&whole)

    var pieces = makeDecoder()
    var pieceOutputs: [SAMFrameDecoder.Output] = []
    for chunk in chunks(of: line, sizes: [piece == 0 ? line.count : piece]) {
        pieces.append(chunk)
        pieceOutputs += drain(&pieces)
    }
    invariant(
        pieceOutputs == outputs, "frames depend on how the line was cut (\(outputs.count) vs \(pieceOutputs.count))")
    invariant(pieces.pendingByteCount == whole.pendingByteCount, "pending bytes depend on the cut")
    invariant(pieces.noiseByteCount == whole.noiseByteCount, "noise count depends on the cut")

    var framedBytes = 0
    for output in outputs {
        guard case .frame(let body) = output else { continue }
        let frame = SAMFrame.encode(body: body)
        framedBytes += frame.count
        invariant((whole.minimumLength...whole.maximumLength).contains(body.count + 1), "LEN outside the bounds")
        invariant(contains(line, frame), "a frame that is not in the input")
        if replies {
            guard let response = SAMResponse(body: body) else {
                invariant(body.count < 3, "a reply body of \(body.count) bytes did not parse")
                continue
            }
            invariant(response.body == body, "a reply does not re-encode to its body")
            _ = response.description
            for withFingerprint in [false, true] {
                guard let record = SAMCardRecord(replyData: response.data, withFingerprint: withFingerprint) else {
                    continue
                }
                let blocks = record.text.count + record.photo.count + (record.fingerprint?.count ?? 0)
                invariant(blocks + (withFingerprint ? 6 : 4) <= response.data.count, "blocks longer than the data")
                invariant(
                    Array(response.data.prefix(record.replyData.count)) == record.replyData,
                    "a card record does not re-encode to the reply data")
                if let card = try? IDCardData(textBlock: record.text) { _ = card.identities() }
            }
        } else {
            guard let command = SAMCommand(body: body) else {
                invariant(body.count < 2, "a command body of \(body.count) bytes did not parse")
                continue
            }
            invariant(command.encoded() == frame, "a command does not re-encode to its frame")
            _ = command.description
        }
    }
    invariant(framedBytes + whole.noiseByteCount <= line.count, "more bytes accounted for than arrived")
    if mode & 2 != 0, whole.abandonPartialFrame() { _ = drain(&whole) }
    return 0
}

private func drain(_ decoder: inout SAMFrameDecoder) -> [SAMFrameDecoder.Output] {
    var outputs: [SAMFrameDecoder.Output] = []
    while let output = decoder.next() { outputs.append(output) }
    return outputs
}

private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard needle.count <= haystack.count else { return false }
    return (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
}

/// Seeds: the command frames of the table and the replies of cards.md §8.3 (王小测's read with and without
/// fingerprints, find and select), as the SAM module emulator sends them, in one line with noise between.
@_cdecl("LLVMFuzzerInitialize")
public func initializeSAMFrame(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    writeSeedsIfAsked {
        let card = SAMCardImage.wangXiaoce
        let read = SAMResponse(status: .success, data: card.readReplyData).encoded()
        let readFingerprint = SAMResponse(status: .success, data: card.readWithFingerprintReplyData).encoded()
        let found = SAMResponse(status: .cardFound, data: [0, 0, 0, 0]).encoded()
        let selected = SAMResponse(status: .success, data: [0, 0, 0, 0, 0, 0, 0, 0]).encoded()
        let noCard = SAMResponse(status: .noCard).encoded()
        let commands: [SAMCommand] = [
            .resetSAM, .samStatus, .readSAMID, .findCard, .selectCard, .readText, .readExtraAddress,
            .readTextWithFingerprint,
        ]
        return CardSeeds.unique([
            ("replies-read", [0, 0] + read),
            ("replies-read-fingerprint-in-pieces", [2, 7] + readFingerprint),
            ("replies-find-select-read", [0, 0] + found + [0x00, 0xAA, 0x13] + selected + read),
            ("replies-no-card", [0, 0] + noCard + noCard),
            ("commands", [1, 0] + commands.flatMap { $0.encoded() }),
            ("commands-in-pieces", [3, 3] + commands.flatMap { [0x55] + $0.encoded() }),
        ])
    }
    return 0
}

/// `main` (SwiftPM aliases it to `<module>_main`): libFuzzer's driver with this harness.
@_cdecl("fuzz_sam_frame_main")
public func fuzz_sam_frame_main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv, fuzzSAMFrame)
}
