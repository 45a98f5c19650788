import Foundation
import KioskCore
import Testing

@testable import Display

/// The rendered text without escape sequences, split into rows.
func visibleRows(_ rendered: String) -> [String] {
    var out = ""
    var scalars = rendered.unicodeScalars.makeIterator()
    while let scalar = scalars.next() {
        guard scalar == "\u{1B}" else {
            out.unicodeScalars.append(scalar)
            continue
        }
        guard let next = scalars.next() else { break }
        if next == "[" {
            // CSI: parameters and intermediates up to a final byte 0x40–0x7E.
            while let c = scalars.next(), !(0x40...0x7E).contains(c.value) {}
        }
    }
    return out.components(separatedBy: "\r\n")
}

@Suite struct TerminalRendererTests {
    let renderer = TerminalRenderer()

    static let sizes: [(columns: Int, rows: Int)] = [
        (80, 24), (120, 40), (60, 20), (40, 12), (30, 8), (24, 5), (20, 3), (12, 2), (1, 1), (200, 60),
    ]

    static var screens: [Screen] {
        [
            Sample.screen(.idle),
            Sample.screen(.reading),
            Sample.screen(Sample.found(Sample.record(.normal))),
            Sample.screen(Sample.found(Sample.record(.homeObservation, popup: Popup(code: 1)))),
            Sample.screen(Sample.found(Sample.record(.centralizedObservation, popup: Popup(code: 6)))),
            Sample.screen(.cardProblem(.tapAgain)),
            Sample.screen(.invalidID),
            Sample.screen(
                .resolved(
                    Resolution(
                        outcome: .cannotVerify, provenance: .cannotVerify(reason: .snapshotTooOld),
                        resolvedAt: Sample.now),
                    name: Sample.name, identity: Sample.identity)),
        ]
    }

    @Test func everyRowIsExactlyTheWidthAndThereAreExactlyTheRows() {
        for screen in Self.screens {
            for (columns, rows) in Self.sizes {
                let lines = visibleRows(renderer.render(screen, columns: columns, rows: rows))
                #expect(lines.count == rows, "\(screen.kind) at \(columns)x\(rows)")
                for line in lines {
                    #expect(DisplayText.width(line) == columns, "\(screen.kind) at \(columns)x\(rows): \(line)")
                }
            }
        }
    }

    @Test func resultShowsStatusWordsIconMaskedIdentityAndNoRawValues() {
        let screen = Sample.screen(Sample.found(Sample.record(.normal)))
        let rendered = renderer.render(screen, columns: 80, rows: 24)
        let rows = visibleRows(rendered)
        let text = rows.joined(separator: "\n")
        let compact = text.replacingOccurrences(of: " ", with: "")

        #expect(compact.contains("未见异常"))
        #expect(text.contains("No abnormality"))
        #expect(text.contains("张*明"))
        #expect(text.contains("110***********002X"))
        #expect(text.contains("阴性 · 24 小时内"))
        #expect(text.contains("Negative · within 24 h"))
        #expect(text.contains("已接种 3 剂"))
        #expect(text.contains("通勤  有效期至 12-10"))
        #expect(text.contains("离线数据 截至 11-29 08:00 / Offline data as of 11-29 08:00"))
        #expect(text.contains(Sample.venue))
        #expect(text.contains("2026-11-29 10:30"))
        for artLine in TerminalIcon.art(.checkInCircle) {
            #expect(text.contains(artLine))
        }
        for raw in [Sample.idNumber, Sample.pan, Sample.name, "6299999900"] {
            #expect(!rendered.contains(raw))
        }
        // Black on bright green band.
        #expect(rendered.contains("\u{1B}[0;1;30;102m"))
        // Cursor hidden, home, clear.
        #expect(rendered.contains("\u{1B}[?25l"))
        #expect(rendered.contains("\u{1B}[H"))
        #expect(rendered.contains("\u{1B}[2J"))
        // The band is several rows tall.
        #expect(rows.filter { $0.contains("┃") }.count == 3)
    }

    @Test func idleScreenAsksForACard() {
        let text = visibleRows(renderer.render(Sample.screen(.idle), columns: 80, rows: 24)).joined(separator: "\n")
        #expect(text.replacingOccurrences(of: " ", with: "").contains("请刷卡"))
        #expect(text.contains("Please tap your card"))
    }

    @Test(arguments: [
        (HealthStatus.homeObservation, "居家观察", "\u{1B}[0;1;30;103m", Screen.Icon.exclamationInTriangle),
        (.centralizedObservation, "集中观察", "\u{1B}[0;1;97;41m", .crossInSquare),
    ])
    func otherStatusesHaveTheirWordsColoursAndShapes(status: HealthStatus, word: String, sgr: String, icon: Screen.Icon)
    {
        let rendered = renderer.render(Sample.screen(Sample.found(Sample.record(status))), columns: 80, rows: 24)
        let text = visibleRows(rendered).joined(separator: "\n")
        #expect(text.replacingOccurrences(of: " ", with: "").contains(word))
        #expect(rendered.contains(sgr))
        for artLine in TerminalIcon.art(icon) { #expect(text.contains(artLine)) }
    }

    @Test func popupIsDrawnWithItsGuidance() {
        let screen = Sample.screen(Sample.found(Sample.record(.normal, popup: Popup(code: 2))))
        let text = visibleRows(renderer.render(screen, columns: 80, rows: 24)).joined(separator: "\n")
        #expect(text.contains("弹窗 Notice · 时空关联 Linked to a risk area"))
        #expect(text.contains("请暂缓进入，并向所在社区报告"))
        #expect(text.contains("Please postpone your visit and report to your community"))
    }

    @Test func narrowTerminalsKeepTheWordsAndAShape() {
        let screen = Sample.screen(Sample.found(Sample.record(.centralizedObservation)))
        let rows = visibleRows(renderer.render(screen, columns: 30, rows: 8))
        let text = rows.joined(separator: "\n")
        #expect(text.replacingOccurrences(of: " ", with: "").contains("集中观察"))
        #expect(text.contains("[X]"))
    }

    @Test func controlSequencesFromDataAreNeverEmitted() {
        var screen = Sample.screen(.idle)
        screen.venue = "Gate \u{1B}[31mred\u{1B}]0;title\u{7}"
        screen.maskedName = "张\u{9B}31m*明"
        screen.instruction = Guidance(zh: "\u{1B}[5m闪烁", en: "line\nbreak\rreturn")
        let rendered = renderer.render(screen, columns: 80, rows: 24)
        #expect(!rendered.contains("\u{1B}[31m"))
        #expect(!rendered.contains("\u{1B}]0"))
        #expect(!rendered.contains("\u{1B}[5m"))
        #expect(!rendered.unicodeScalars.contains("\u{9B}"))
        #expect(!rendered.unicodeScalars.contains("\u{7}"))
        let rows = visibleRows(rendered)
        #expect(rows.count == 24)
        #expect(rows.allSatisfy { DisplayText.width($0) == 80 })
    }

    @Test func displayWidthCountsWideCharactersTwice() {
        #expect(DisplayText.width("abc") == 3)
        #expect(DisplayText.width("未见异常") == 8)
        #expect(DisplayText.width("阴性 · 24") == 9)
        #expect(DisplayText.width("ＡＢ") == 4)  // fullwidth forms
        #expect(DisplayText.width("e\u{301}") == 1)  // combining acute
        #expect(DisplayText.width("✅") == 2)
        #expect(DisplayText.width("𠀀") == 2)  // CJK Extension B
        #expect(DisplayText.width("한글") == 4)
        #expect(DisplayText.prefix("未见异常", fitting: 5) == "未见")
        #expect(DisplayText.truncated("Please tap your card", to: 10) == "Please ...")
        #expect(DisplayText.width(DisplayText.truncated("请将卡片放在读卡区", to: 9)) <= 9)
    }

    @Test func wrapsCJKAndLatinText() {
        let layout = TerminalLayout(screen: Sample.screen(.idle), width: 20)
        #expect(
            layout.wrap("Please postpone your visit and report", width: 12) == [
                "Please", "postpone", "your visit", "and report",
            ])
        #expect(layout.wrap("请暂缓进入并报告", width: 6) == ["请暂缓", "进入并", "报告"])
    }

    @Test func writerFallsBackTo80x24ForANonTerminal() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("render-\(UUID().uuidString)").path
        let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o600)
        try #require(fd >= 0)
        defer {
            close(fd)
            unlink(path)
        }
        let writer = TerminalWriter(fileDescriptor: fd)
        #expect(writer.size() == (80, 24))
        try writer.draw(Sample.screen(.idle))
        let written = try #require(FileManager.default.contents(atPath: path))
        let rows = visibleRows(String(decoding: written, as: UTF8.self))
        #expect(rows.count == 24)
        #expect(rows.allSatisfy { DisplayText.width($0) == 80 })
    }
}
