import Foundation
import KioskCore
import Synchronization
import Testing

@testable import Display

/// A pseudo-terminal pair whose primary side a thread drains into a buffer.
final class TestPTY: Sendable {
    let primary: Int32
    let replica: Int32
    final class Buffer: Sendable {
        let bytes = Mutex<[UInt8]>([])
    }
    private let output = Buffer()

    init(columns: Int, rows: Int) throws {
        var primary: Int32 = -1
        var replica: Int32 = -1
        var size = winsize(ws_row: UInt16(rows), ws_col: UInt16(columns), ws_xpixel: 0, ws_ypixel: 0)
        guard openpty(&primary, &replica, nil, nil, &size) == 0 else { throw POSIXError(.EIO) }
        self.primary = primary
        self.replica = replica
        // Raw mode on the replica: no CR/LF translation of what the renderer writes.
        var attributes = termios()
        tcgetattr(replica, &attributes)
        cfmakeraw(&attributes)
        tcsetattr(replica, TCSANOW, &attributes)
        let source = primary
        let output = self.output
        Thread {
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
                if n <= 0 {
                    if n < 0 && errno == EINTR { continue }
                    // The reader owns the primary side: closed only here, so its number cannot be reused by
                    // another test's pty while this thread still reads it.
                    close(source)
                    return
                }
                output.bytes.withLock { $0 += buffer[0..<n] }
            }
        }.start()
    }

    var text: String { String(decoding: output.bytes.withLock { $0 }, as: UTF8.self) }

    func resize(columns: Int, rows: Int) {
        var size = winsize(ws_row: UInt16(rows), ws_col: UInt16(columns), ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(primary, UInt(TIOCSWINSZ), &size)
    }

    /// The rows of the last complete frame (between the clear and the end-of-update sequences) once `done` holds.
    /// The timeout only bounds a hang: the machine may be busy with other suites, so it is generous.
    func waitForFrame(timeout: Duration = .seconds(60), _ done: ([String]) -> Bool) async throws -> [String] {
        let deadline = ContinuousClock.now + timeout
        var last: [String] = []
        while ContinuousClock.now < deadline {
            let all = text
            if let end = all.range(of: "\u{1B}[?2026l", options: .backwards),
                let start = all.range(of: "\u{1B}[2J", options: .backwards, range: all.startIndex..<end.lowerBound)
            {
                last = visibleRows(String(all[start.upperBound..<end.lowerBound]))
                if done(last) { return last }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("no matching frame; last one had \(last.count) rows:\n\(last.joined(separator: "\n"))")
        return last
    }

    /// Closing the replica ends the reader (read on the primary side fails with EIO), which closes the primary.
    deinit {
        close(replica)
    }
}

@Suite struct TerminalConsoleTests {
    @Test func virtualConsolesAreRecognisedByTheirDeviceName() {
        for path in ["/dev/tty1", "/dev/tty0", "/dev/tty12", "/dev/vc/3"] {
            #expect(TerminalWriter.isVirtualConsole(path: path), "\(path)")
        }
        for path in [
            "/dev/ttyS0", "/dev/ttyUSB0", "/dev/ttyACM0", "/dev/pts/3", "/dev/tty", "/dev/console", "/dev/tty123",
        ] {
            #expect(!TerminalWriter.isVirtualConsole(path: path), "\(path)")
        }
    }

    @Test func aPseudoTerminalIsBilingualWhateverTERMSaysAFileFollowsTERM() throws {
        let pty = try TestPTY(columns: 80, rows: 24)
        #expect(TerminalWriter.script(for: pty.replica, environment: ["TERM": "linux"]) == .bilingual)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("term-\(UUID().uuidString)").path
        let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o600)
        defer {
            close(fd)
            unlink(path)
        }
        #expect(TerminalWriter.script(for: fd, environment: ["TERM": "linux"]) == .englishOnly)
        #expect(TerminalWriter.script(for: fd, environment: ["TERM": "xterm-256color"]) == .bilingual)
    }

    @Test(arguments: DemoScreens.names)
    func theEnglishOnlyFormHasNoCharacterAConsoleCannotDraw(name: String) throws {
        let screen = try #require(DemoScreens.screen(named: name))
        let renderer = TerminalRenderer(script: .englishOnly)
        for (columns, rows) in [(80, 24), (100, 30), (40, 12)] {
            let rows_ = visibleRows(renderer.render(screen, columns: columns, rows: rows))
            #expect(rows_.count == rows)
            for row in rows_ {
                #expect(row.unicodeScalars.allSatisfy { $0.isASCII }, "\(name): \(row)")
                #expect(row.count == columns, "\(name): \(row)")
            }
            // Nothing reached the ASCII fold that it would have to replace with "?": only frames and punctuation.
            let folded: Set<Character> = ["━", "┃", "┏", "┓", "┗", "┛", "·", "…", "–", "—", "─", "│"]
            for line in TerminalLayout(screen: screen, width: columns, englishOnly: true).lines(height: rows) {
                for span in line.spans {
                    #expect(span.text.allSatisfy { $0.isASCII || folded.contains($0) }, "\(name): \(span.text)")
                }
            }
        }
        let text = visibleRows(renderer.render(screen, columns: 100, rows: 30)).joined(separator: "\n")
        #expect(
            text.contains(DisplayText.truncated(screen.title.en.replacingOccurrences(of: "·", with: "-"), to: 90)),
            "\(name):\n\(text)")
    }

    @Test func theEnglishResultKeepsTheMaskedIDAndDropsTheChineseName() throws {
        let screen = try #require(DemoScreens.screen(named: "normal"))
        let text = visibleRows(TerminalRenderer(script: .englishOnly).render(screen, columns: 100, rows: 30))
            .joined(separator: "\n")
        #expect(text.contains("No abnormality"))
        #expect(text.contains("ID  110***********002X"))
        #expect(!text.contains("Name"))
        #expect(text.contains("Nucleic acid test: Negative - within 24 h"))
        #expect(text.contains("Online"))
        #expect(text.contains("2026-11-29 10:30 Sun"))
        #expect(text.contains("+---"), "the frame is ASCII")
    }

    @Test func aResizedTerminalIsRedrawnAtItsNewSize() async throws {
        let pty = try TestPTY(columns: 80, rows: 24)
        let terminal = ResizingTerminal(writer: TerminalWriter(fileDescriptor: pty.replica))
        terminal.start()
        defer { terminal.stop() }
        try terminal.draw(#require(DemoScreens.screen(named: "normal")))
        let first = try await pty.waitForFrame { $0.count == 24 }
        #expect(first.allSatisfy { DisplayText.width($0) == 80 })

        pty.resize(columns: 110, rows: 34)
        // What the SIGWINCH handler does. A real signal cannot be sent here: kill() would interrupt the system
        // calls of every other suite running in this process, and pthread_kill() to this thread finds the signal
        // blocked (libdispatch worker threads block asynchronous signals).
        WindowSizeSignal.wake()
        let second = try await pty.waitForFrame { $0.count == 34 }
        #expect(second.count == 34)
        #expect(second.allSatisfy { DisplayText.width($0) == 110 })
        #expect(second.joined().contains("No abnormality"))

        // A SIGWINCH without a size change (another terminal) draws nothing more.
        let before = pty.text.count
        WindowSizeSignal.wake()
        try await Task.sleep(for: .milliseconds(200))
        #expect(pty.text.count == before)
    }
}
