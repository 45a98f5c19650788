import KioskCore

/// Arranges a ``Screen`` into terminal rows for ``TerminalRenderer``.
struct TerminalLayout {
    var screen: Screen
    var width: Int
    /// English only, in characters every Linux console font has (a virtual console cannot draw Chinese).
    var englishOnly = false

    private typealias Line = TerminalLine

    /// Band height with the icon and frame and a blank line above and below.
    static let fullBandHeight = 7

    /// The band grows with the terminal, up to two fifths of it.
    static func maximumBandHeight(rows: Int) -> Int { max(fullBandHeight, rows * 2 / 5) }

    /// Exactly `height` rows. When space is short the band shrinks first to its two-line form, then the least
    /// important sections go: spacing, details, the band's icon and frame, masked identity, pop-up, instruction.
    func lines(height: Int) -> [TerminalLine] {
        let band = TerminalStyle.band(screen.tone)
        guard height >= 3 else {
            return Array(bandLines(height: height, style: band).prefix(height))
        }
        let available = height - 2
        var bandHeight = min(2, available)
        var room = available - bandHeight

        // Sections in priority order; each is included whole or not at all, except details (line by line).
        let instruction = instructionLines()
        let popup = popupLines()
        let identity = identityLines()
        let details = detailLines()
        var include = (instruction: false, popup: false, identity: false, details: 0)
        if instruction.count <= room {
            include.instruction = true
            room -= instruction.count
        }
        if popup.count <= room {
            include.popup = true
            room -= popup.count
        }
        if identity.count <= room {
            include.identity = true
            room -= identity.count
        }
        // The icon shape and the frame (five lines) come before the details.
        if room >= 3 {
            bandHeight += 3
            room -= 3
        }
        include.details = min(details.count, room)
        room -= include.details

        let growth = min(room, max(0, Self.maximumBandHeight(rows: height) - bandHeight))
        bandHeight += growth
        room -= growth

        var body: [Line] = []
        body += bandLines(height: bandHeight, style: band)
        var gaps = room
        func gap() {
            if gaps > 0 {
                body.append(Line(.body))
                gaps -= 1
            }
        }
        gap()
        if include.identity, !identity.isEmpty {
            body += identity
            gap()
        }
        if include.details > 0 {
            body += details.prefix(include.details)
            gap()
        }
        if include.popup, !popup.isEmpty {
            body += popup
            gap()
        }
        if include.instruction { body += instruction }
        body += Array(repeating: Line(.body), count: gaps)

        return [headerLine()] + body + [footerLine()]
    }

    // MARK: - Sections

    private func headerLine() -> Line {
        let right = (englishOnly ? Self.latinOnly(screen.dateTime) : screen.dateTime) + " "
        let venueRoom = max(0, width - DisplayText.width(right) - 2)
        let venueText = englishOnly ? Self.latinOnly(screen.venue) : screen.venue
        let venue = " " + DisplayText.truncated(DisplayText.sanitized(venueText), to: venueRoom)
        let fill = max(1, width - DisplayText.width(venue) - DisplayText.width(right))
        return Line(.header, venue + String(repeating: " ", count: fill) + right)
    }

    private func footerLine() -> Line {
        guard let provenance = screen.provenance else { return Line(.body) }
        if englishOnly { return Line(.bodyBold, " " + provenance.en) }
        let both = " \(provenance.zh) / \(provenance.en)"
        return Line(.bodyBold, DisplayText.width(both) <= width ? both : " " + provenance.zh)
    }

    /// Masked name and ID on one line, or on two when one is too narrow.
    private func identityLines() -> [Line] {
        var parts: [[Line.Span]] = []
        // On a virtual console a name in Chinese cannot be drawn: it is left out rather than shown as boxes.
        if let name = screen.maskedName, !englishOnly || Self.isLatin(name) {
            parts.append([
                Line.Span(style: .label, text: englishOnly ? "Name  " : "姓名 Name  "),
                Line.Span(style: .bodyBold, text: name),
            ])
        }
        if let id = screen.maskedID {
            parts.append([
                Line.Span(style: .label, text: englishOnly ? "ID  " : "证件 ID  "), Line.Span(style: .bodyBold, text: id),
            ])
        }
        guard !parts.isEmpty else { return [] }
        let lead = Line.Span(style: nil, text: " ")
        let oneLine = [lead] + parts.joined(separator: [Line.Span(style: nil, text: "    ")])
        if oneLine.reduce(0, { $0 + DisplayText.width($1.text) }) <= width || parts.count == 1 {
            return [Line(.body, Array(oneLine))]
        }
        return parts.map { Line(.body, [lead] + $0) }
    }

    private func detailLines() -> [Line] {
        if !screen.tiles.isEmpty { return tileLines() }
        return screen.details.flatMap { detail -> [Line] in
            if englishOnly {
                return wrap("\(detail.label.en): \(detail.value.en)", width: max(1, width - 1)).map {
                    Line(.body, " " + $0)
                }
            }
            let zh = " \(detail.label.zh)  \(detail.value.zh)"
            let en = "\(detail.label.en): \(detail.value.en)"
            let one = zh + "   " + en
            if DisplayText.width(one) <= width {
                return [Line(.body, [Line.Span(style: .bodyBold, text: zh), Line.Span(style: nil, text: "   " + en)])]
            }
            return [Line(.bodyBold, zh)] + wrap(en, width: max(1, width - 3)).map { Line(.body, "   " + $0) }
        }
    }

    private func popupLines() -> [Line] {
        guard let popup = screen.popup else { return [] }
        let inner = max(1, width - 2)
        if englishOnly {
            return (wrap("Notice: \(popup.title.en)", width: inner) + wrap(popup.guidance.en, width: inner)).map {
                Line(.notice, " " + $0)
            }
        }
        let title = " 弹窗 Notice · \(popup.title.zh) \(popup.title.en)"
        var lines =
            DisplayText.width(title) <= width
            ? [Line(.notice, title)]
            : [Line(.notice, " 弹窗 · \(popup.title.zh)"), Line(.notice, " Notice · \(popup.title.en)")]
        lines += wrap(popup.guidance.zh, width: inner).map { Line(.notice, " " + $0) }
        lines += wrap(popup.guidance.en, width: inner).map { Line(.notice, " " + $0) }
        return lines
    }

    private func instructionLines() -> [Line] {
        guard let instruction = screen.instruction else { return [] }
        let inner = max(1, width - 2)
        if englishOnly { return wrap(instruction.en, width: inner).map { Line(.bodyBold, " " + $0) } }
        return (wrap(instruction.zh, width: inner) + wrap(instruction.en, width: inner)).map {
            Line(.bodyBold, " " + $0)
        }
    }

    /// 他人代查: one line per person (shape marker, number, status, masked name and ID).
    private func tileLines() -> [Line] {
        screen.tiles.enumerated().map { index, tile in
            let title = englishOnly ? tile.title.en : "\(tile.title.zh) \(tile.title.en)"
            let notice = tile.notice.map { englishOnly ? " (\($0.en))" : " (\($0.zh) \($0.en))" } ?? ""
            let name = tile.maskedName.flatMap { englishOnly && !Self.isLatin($0) ? nil : $0 }
            let who = [name, tile.maskedID].compactMap { $0 }.joined(separator: " ")
            return Line(
                .body,
                [
                    Line.Span(
                        style: TerminalStyle.band(tile.tone), text: " \(TerminalIcon.marker(tile.icon)) \(index + 1) "),
                    Line.Span(style: .bodyBold, text: " \(title)\(notice)"),
                    Line.Span(style: nil, text: who.isEmpty ? "" : "  " + who),
                ])
        }
    }

    /// Whether every character of `text` is ASCII or Latin-1 (drawable by every Linux console font).
    static func isLatin(_ text: String) -> Bool { text.unicodeScalars.allSatisfy { $0.value < 0x100 } }

    /// `text` without the characters a Linux console cannot draw (CJK), spaces collapsed.
    static func latinOnly(_ text: String) -> String {
        let kept = String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.value < 0x100 }))
        return kept.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }

    // MARK: - Band

    private func bandLines(height: Int, style: TerminalStyle) -> [Line] {
        guard height > 0 else { return [] }
        // English only: the English title takes the Chinese title's place in the frame.
        let zh =
            englishOnly ? DisplayText.sanitized(screen.title.en) : spacedTitle(DisplayText.sanitized(screen.title.zh))
        let en = englishOnly ? "" : DisplayText.sanitized(screen.title.en)
        let marker = TerminalIcon.marker(screen.icon)
        if height >= 5, let block = framedBlock(zh: zh, en: en) {
            let above = (height - block.count) / 2
            return Array(repeating: Line(style), count: above) + block.map { Line(style, centred($0)) }
                + Array(repeating: Line(style), count: height - block.count - above)
        }
        switch height {
        case 1:
            return [Line(style, centred(englishOnly ? "\(marker) \(zh)" : "\(marker) \(screen.title.zh) \(en)"))]
        default:
            var lines = [Line(style, centred("\(marker) \(zh)")), Line(style, centred(en))]
            while lines.count < height { lines.insert(Line(style), at: lines.count % 2 == 0 ? lines.count : 0) }
            return lines
        }
    }

    /// Five lines: the icon shape and the framed title, or the framed title alone with the marker inside when
    /// the icon does not fit; `nil` when even the frame does not fit.
    private func framedBlock(zh: String, en: String) -> [String]? {
        let inner = max(DisplayText.width(zh), DisplayText.width(en)) + 4
        let frameWidth = inner + 2
        guard frameWidth <= width else { return nil }
        let icon = TerminalIcon.art(screen.icon)
        let withIcon = TerminalIcon.width + 3 + frameWidth <= width
        let middle = withIcon ? "" : TerminalIcon.marker(screen.icon)
        let frame = [
            "┏" + String(repeating: "━", count: inner) + "┓",
            "┃" + centred(zh, in: inner) + "┃",
            "┃" + centred(middle, in: inner) + "┃",
            "┃" + centred(en, in: inner) + "┃",
            "┗" + String(repeating: "━", count: inner) + "┛",
        ]
        guard withIcon else { return frame }
        return zip(icon, frame).map { $0 + "   " + $1 }
    }

    /// A short CJK title with a space between characters reads larger: 未 见 异 常.
    private func spacedTitle(_ title: String) -> String {
        guard title.count <= 8, !title.contains(" "), title.allSatisfy({ DisplayText.width(of: $0) == 2 }) else {
            return title
        }
        return title.map(String.init).joined(separator: " ")
    }

    // MARK: - Text helpers

    private func centred(_ text: String) -> String { centred(text, in: width) }

    private func centred(_ text: String, in columns: Int) -> String {
        let cut = DisplayText.truncated(text, to: columns)
        let free = columns - DisplayText.width(cut)
        let left = free / 2
        return String(repeating: " ", count: left) + cut + String(repeating: " ", count: free - left)
    }

    /// Greedy wrap at spaces, or anywhere between wide (CJK) characters, to `width` columns.
    func wrap(_ text: String, width: Int) -> [String] {
        let text = DisplayText.sanitized(text)
        var lines: [String] = []
        var current = ""
        var currentWidth = 0
        for word in Self.words(text) {
            let w = DisplayText.width(word)
            let separator =
                current.isEmpty || word.first.map({ DisplayText.width(of: $0) == 2 }) == true
                    || current.last.map({ DisplayText.width(of: $0) == 2 }) == true ? "" : " "
            if currentWidth + separator.count + w <= width {
                current += separator + word
                currentWidth += separator.count + w
            } else {
                if !current.isEmpty { lines.append(current) }
                current = DisplayText.prefix(word, fitting: width)
                currentWidth = DisplayText.width(current)
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    /// Words split at spaces, with every wide character its own word (CJK text breaks between characters).
    private static func words(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        for character in text {
            if character == " " {
                if !current.isEmpty {
                    words.append(current)
                    current = ""
                }
            } else if DisplayText.width(of: character) == 2 {
                if !current.isEmpty {
                    words.append(current)
                    current = ""
                }
                words.append(String(character))
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }
}

/// The icon shapes drawn in ASCII (so they render on any console font), 5 lines of 11 columns.
enum TerminalIcon {
    static let width = 11

    static func art(_ icon: Screen.Icon) -> [String] {
        switch icon {
        case .checkInCircle:
            ["  .-----.  ", " /     / \\ ", "|  \\  /   |", " \\  \\/   / ", "  '-----'  "]
        case .exclamationInTriangle:
            ["     ^     ", "    / \\    ", "   / ! \\   ", "  /  !  \\  ", " /___o___\\ "]
        case .crossInSquare:
            ["+---------+", "|  \\   /  |", "|    X    |", "|  /   \\  |", "+---------+"]
        case .questionInCircle:
            ["  .-----.  ", " /  .-.  \\ ", "|    _/   |", " \\   o   / ", "  '-----'  "]
        case .card:
            ["+---------+", "| [=] ))) |", "|         |", "| ---- -- |", "+---------+"]
        case .hourglass:
            [" _________ ", " \\ ::::: / ", "  \\ ::: /  ", "  / .:. \\  ", " /_:::::_\\ "]
        case .info:
            ["  .-----.  ", " /   o   \\ ", "|    |    |", " \\   |   / ", "  '-----'  "]
        }
    }

    /// Three-column marker for when the shape does not fit.
    static func marker(_ icon: Screen.Icon) -> String {
        switch icon {
        case .checkInCircle: "(v)"
        case .exclamationInTriangle: "/!\\"
        case .crossInSquare: "[X]"
        case .questionInCircle: "(?)"
        case .card: "[=]"
        case .hourglass: "(:)"
        case .info: "(i)"
        }
    }
}
