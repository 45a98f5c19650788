import Barcode
import Foundation
import Glibc
import KioskCore
import Testing

struct LineFramerTests {
    static func frame(_ chunks: [ArraySlice<UInt8>], _ t: SerialTerminator, max: Int = 4096) -> [LineFramer.Output] {
        var f = LineFramer(terminator: t, maximumLength: max)
        return chunks.flatMap { f.consume($0) }
    }

    @Test(arguments: [
        (SerialTerminator.cr, "AB\rCD\r", ["AB", "CD"]),
        (.lf, "AB\nCD\n", ["AB", "CD"]),
        (.crlf, "AB\r\nC\rD\r\n", ["AB", "C\rD"]),
        (.any, "AB\r\nCD\nEF\r\r\nGH\r", ["AB", "CD", "EF", "GH"]),
    ])
    func terminatorsDripFed(terminator: SerialTerminator, input: String, lines: [String]) {
        let expected = lines.map { LineFramer.Output.line(Array($0.utf8)) }
        #expect(dripFeed(Array(input.utf8), expect: expected) { Self.frame($0, terminator) }.isEmpty)
    }

    @Test func bounded() {
        #expect(
            Self.frame([Array("ABCDEF\rXY\r".utf8)[...]], .cr, max: 4)
                == [.tooLong(length: 6), .line(Array("XY".utf8))])
    }

    @Test func gb18030AndUTF8() {
        #expect(ScanTextDecoding.decode(Array("中文".utf8)) == "中文")
        #expect(ScanTextDecoding.decode([0xCD, 0xF5, 0xD0, 0xA1, 0xB2, 0xE2]) == "王小测")
        #expect(ScanTextDecoding.decode([0xFF, 0xFF]) == nil)
    }
}

/// A CDC-ACM scanner played through a real pseudo-terminal (`openpty`): the test writes on the master side like
/// the scanner, the source opens the slave path, sets it raw and reads.
struct SerialScannerTests {
    @Test func scansThroughAPty() async throws {
        var master: CInt = -1
        var slave: CInt = -1
        #expect(openpty(&master, &slave, nil, nil, nil) == 0)
        let path = String(cString: ttyname(slave))
        let source = SerialScannerSource(path: path, configuration: SerialScannerConfiguration(terminator: .any))
        let events = try source.start()
        Glibc.close(slave)  // the source holds its own descriptor
        #expect(source.health.state == .ready)
        var iterator = events.makeAsyncIterator()
        let gb: [UInt8] = [0xCD, 0xF5, 0xD0, 0xA1, 0xB2, 0xE2]  // 王小测 in GB 18030
        await Replay.write(Array("110101194605121231\r\nHC1:6BF\r".utf8) + gb + [0x0D], to: master, close: false)
        let first = await iterator.next()
        let second = await iterator.next()
        let third = await iterator.next()
        #expect(first?.payload.identity?.value == "110101194605121231")
        #expect(first?.kind == .serial)
        #expect(second?.payload == .euDCC(length: 7))
        #expect(third?.text.value == "王小测")
        // Raw mode: no echo came back to the "scanner", no CR→LF translation happened (else the framing differs).
        var echo = [UInt8](repeating: 0, count: 16)
        _ = fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK)
        #expect(Glibc.read(master, &echo, 16) == -1)
        // Unplugging = the master side closing: the slave read fails with EIO, the stream ends, health absent.
        Glibc.close(master)
        #expect(await iterator.next() == nil)
        #expect(source.health.state == .absent)
    }
}
