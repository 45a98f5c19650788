import KioskCore

/// Lays a ``Screen`` out in pixels (``FramePlan``) for a panel of any size and orientation.
///
/// From the top: a dark header with the venue and the date and time; the status band in the tone's colour with
/// the icon shape, the Chinese status word in bold (its line at least a fifth of the panel's height on a single
/// result) and the English words; the body (masked name and ID, details, the pop-up box, what to do) fitted by
/// shrinking and wrapping; a footer with the provenance. 他人代查 screens show a grid of tiles instead of band and
/// body. Sizes are fractions of the panel's height, so 800×480 and 1920×1080 look alike; in portrait the title
/// wraps instead of shrinking.
struct FrameLayout {
    let glyphs: GlyphSource
    let width: Int
    let height: Int

    private var fitter: TextFitter { TextFitter(glyphs: glyphs) }
    private var h: Double { Double(height) }
    /// The unit text sizes scale with: the height, but no more than 1.25 × the width (a portrait panel's text is
    /// limited by its width).
    private var u: Double { min(Double(height), Double(width) * 1.25) }
    /// Outer margin.
    private var margin: Int { max(8, Int((Double(min(width, height)) * 0.03).rounded())) }
    /// Smallest text anywhere: legible on a 7-inch panel.
    private var minimumText: Int { max(14, Int(u * 0.03)) }

    /// The status word's line is at least this fraction of the panel's height on a single result.
    static let statusWordShare = 0.2

    func plan(_ screen: Screen) -> FramePlan {
        var plan = FramePlan(width: width, height: height, background: Palette.page)
        let headerBottom = header(screen, into: &plan)
        let footerTop = footer(screen, into: &plan)
        let middle = PixelRect(x: 0, y: headerBottom, width: width, height: max(0, footerTop - headerBottom))
        if screen.tiles.isEmpty {
            single(screen, in: middle, into: &plan)
        } else {
            tiles(screen.tiles, in: middle, into: &plan)
        }
        return plan
    }

    // MARK: - Header and footer

    /// Venue on the left, date and time on the right in bold; stacked on two lines when they do not fit side by
    /// side at a large size (portrait). Returns the header's bottom edge.
    private func header(_ screen: Screen, into plan: inout FramePlan) -> Int {
        let size = max(minimumText, Int(u * 0.055))
        let inner = width - 2 * margin
        let dateWidth = glyphs.width(of: screen.dateTime, size: size, bold: true)
        let venueWidth = glyphs.width(of: screen.venue, size: size, bold: false)
        let lineHeight = LineMetrics.height(size: size)
        let pad = max(4, size / 4)
        let sideBySide = dateWidth + venueWidth + Double(size) <= Double(inner)
        let headerHeight = (sideBySide ? lineHeight : 2 * lineHeight) + 2 * pad
        plan.fills.append(
            .init(rect: PixelRect(x: 0, y: 0, width: width, height: headerHeight), color: Palette.header, radius: 0))
        let venueArea: PixelRect
        let dateArea: PixelRect
        if sideBySide {
            dateArea = PixelRect(
                x: width - margin - Int(dateWidth.rounded(.up)), y: pad, width: Int(dateWidth.rounded(.up)),
                height: lineHeight)
            venueArea = PixelRect(x: margin, y: pad, width: max(0, dateArea.x - margin - size / 2), height: lineHeight)
        } else {
            venueArea = PixelRect(x: margin, y: pad, width: inner, height: lineHeight)
            dateArea = PixelRect(x: margin, y: pad + lineHeight, width: inner, height: lineHeight)
        }
        let date = fitter.fit(
            [Paragraph([Span(text: screen.dateTime, bold: true, color: Palette.headerText)], maxLines: 1)],
            in: dateArea, maxSize: size, minSize: minimumText)
        place(date, in: dateArea, roles: [.dateTime], background: Palette.header, into: &plan)
        let venue = fitter.fit(
            [Paragraph([Span(text: screen.venue, color: Palette.headerText)], maxLines: 1)], in: venueArea,
            maxSize: size, minSize: minimumText)
        place(venue, in: venueArea, roles: [.venue], background: Palette.header, into: &plan)
        return headerHeight
    }

    /// The provenance line (or, on 他人代查, the count and the provenance). Returns the footer's top edge.
    private func footer(_ screen: Screen, into plan: inout FramePlan) -> Int {
        guard let provenance = screen.provenance else { return height }
        let size = max(minimumText, Int(u * (width >= height ? 0.045 : 0.04)))
        let lineHeight = LineMetrics.height(size: size)
        let pad = max(3, size / 4)
        let area0 = PixelRect(x: margin, y: 0, width: width - 2 * margin, height: 2 * lineHeight)
        let paragraph = Paragraph(
            [
                Span(text: provenance.zh, bold: true, color: Palette.text),
                Span(text: provenance.en, color: Palette.text),
            ],
            maxLines: 2)
        let block = fitter.fit([paragraph], in: area0, maxSize: size, minSize: minimumText)
        let footerHeight = block.height + 2 * pad
        let top = height - footerHeight
        plan.fills.append(
            .init(rect: PixelRect(x: 0, y: top, width: width, height: footerHeight), color: Palette.footer, radius: 0))
        let area = PixelRect(x: margin, y: top + pad, width: width - 2 * margin, height: block.height)
        place(block, in: area, roles: [.provenance], background: Palette.footer, into: &plan)
        return top
    }

    // MARK: - One result or notice

    private func single(_ screen: Screen, in area: PixelRect, into plan: inout FramePlan) {
        let (bandColor, ink) = Palette.band(screen.tone)
        let body = bodyParagraphs(screen)
        let isResult: Bool
        switch screen.kind {
        case .result, .unknownPerson, .cannotVerify: isResult = true
        default: isResult = false
        }

        // Band. Landscape: the icon on the left, the words on the right. Portrait: the Chinese word across the
        // whole width, under it the icon with the English words beside it.
        let pad = margin
        let landscape = width >= height
        let iconSide = landscape ? min(Int(h * 0.26), width / 4) : min(Int(h * 0.085), width / 4)
        let textX = margin + iconSide + pad
        let textWidth = max(1, width - textX - margin)
        let wordWidth = landscape ? textWidth : width - 2 * margin
        let word = statusWord(screen.title.zh, width: wordWidth, ink: ink, emphasised: isResult)
        let englishArea = PixelRect(x: textX, y: 0, width: textWidth, height: Int(u * 0.16))
        let english = fitter.fit(
            [Paragraph([Span(text: screen.title.en, bold: true, color: ink)], maxLines: 2)], in: englishArea,
            maxSize: max(minimumText, Int(u * (landscape ? 0.07 : 0.052))), minSize: minimumText)
        let contentHeight =
            landscape
            ? max(word.height + english.height, iconSide) : word.height + pad / 2 + max(iconSide, english.height)
        let minimumBand = body.isEmpty ? area.height : Int(h * 0.3)
        let bandHeight = min(area.height, max(minimumBand, contentHeight + 2 * pad))
        let band = PixelRect(x: 0, y: area.y, width: width, height: bandHeight)
        plan.fills.append(.init(rect: band, color: bandColor, radius: 0))
        let top = band.y + max(0, (bandHeight - contentHeight) / 2)
        if landscape {
            let iconRect = PixelRect(
                x: margin, y: band.y + (bandHeight - iconSide) / 2, width: iconSide, height: iconSide)
            plan.icons.append(.init(icon: screen.icon, rect: iconRect, foreground: ink, background: bandColor))
            let wordsTop = band.y + max(0, (bandHeight - word.height - english.height) / 2)
            let wordArea = PixelRect(x: textX, y: wordsTop, width: textWidth, height: word.height)
            place(word, in: wordArea, roles: [.statusWord], background: bandColor, into: &plan)
            let englishPlaced = PixelRect(x: textX, y: wordArea.maxY, width: textWidth, height: english.height)
            place(english, in: englishPlaced, roles: [.statusEnglish], background: bandColor, into: &plan)
        } else {
            let wordArea = PixelRect(x: margin, y: top, width: wordWidth, height: word.height)
            place(word, in: wordArea, roles: [.statusWord], background: bandColor, into: &plan)
            let rowTop = wordArea.maxY + pad / 2
            let rowHeight = max(iconSide, english.height)
            let iconRect = PixelRect(
                x: margin, y: rowTop + (rowHeight - iconSide) / 2, width: iconSide, height: iconSide)
            plan.icons.append(.init(icon: screen.icon, rect: iconRect, foreground: ink, background: bandColor))
            let englishPlaced = PixelRect(
                x: textX, y: rowTop + (rowHeight - english.height) / 2, width: textWidth, height: english.height)
            place(english, in: englishPlaced, roles: [.statusEnglish], background: bandColor, into: &plan)
        }

        // Body.
        guard !body.isEmpty else { return }
        let bodyArea = PixelRect(
            x: margin, y: band.maxY + pad / 2, width: width - 2 * margin, height: max(0, area.maxY - band.maxY - pad))
        layOutBody(body, screen: screen, in: bodyArea, into: &plan)
    }

    /// The Chinese status word in bold: the largest size (up to 0.22 of the height) at which it fits the width in
    /// at most two lines no taller together than 0.3 of the height; on a result the lines together are never
    /// under ``statusWordShare`` of the height.
    private func statusWord(_ text: String, width: Int, ink: UInt32, emphasised: Bool) -> FittedBlock {
        let maximum = Int(h * (emphasised ? 0.22 : 0.18))
        // Portrait panels are tall: a smaller share keeps room for the details.
        let box = PixelRect(x: 0, y: 0, width: width, height: Int(h * (self.width >= height ? 0.3 : 0.25)))
        let paragraph = Paragraph([Span(text: text, bold: true, color: ink)], maxLines: 2)
        if emphasised {
            // The largest size whose lines fit the width and together take between a fifth and 0.3 of the height.
            var size = maximum
            let least = Int(h * Self.statusWordShare)
            while size >= minimumText {
                var lines = fitter.lines(paragraph, width: Double(width), size: size)
                if lines.count == 1, LineMetrics.height(size: size) < least, let only = lines.first {
                    // One line short of a fifth: two balanced lines (未见 / 异常) at this size instead.
                    let split = fitter.lines(paragraph, width: only.width / 2 + Double(size), size: size)
                    if split.count == 2 { lines = split }
                }
                let height = lines.count * LineMetrics.height(size: size)
                if lines.count <= 2, height <= box.height, height >= least {
                    return FittedBlock(
                        baseSize: size, paragraphs: [.init(size: size, centred: false, lines: lines)], height: height)
                }
                size -= max(1, size / 50)
            }
        }
        return fitter.fit([paragraph], in: box, maxSize: maximum, minSize: minimumText)
    }

    private struct BodyParagraph {
        var paragraph: Paragraph
        var role: FramePlan.Role
        var inNotice: Bool
    }

    /// The body in order of importance (the fitter leaves out from the end when space runs out): whose card it
    /// is, the pop-up and what to do, then the details.
    private func bodyParagraphs(_ screen: Screen) -> [BodyParagraph] {
        var out: [BodyParagraph] = []
        func add(_ spans: [Span], scale: Double = 1, maxLines: Int = 3, _ role: FramePlan.Role, notice: Bool = false) {
            out.append(
                .init(paragraph: Paragraph(spans, scale: scale, maxLines: maxLines), role: role, inNotice: notice))
        }
        let ids = [screen.maskedName, screen.maskedID].compactMap { $0 }
        if !ids.isEmpty {
            add(ids.map { Span(text: $0, bold: true, color: Palette.text) }, scale: 1.1, maxLines: 2, .identity)
        }
        if let popup = screen.popup {
            // The headline already names the pop-up unless a worse status took it.
            if screen.title.zh != "弹窗 · \(popup.title.zh)" {
                add(
                    [
                        Span(text: "弹窗 · \(popup.title.zh)", bold: true, color: Palette.text),
                        Span(text: "Notice: \(popup.title.en)", bold: true, color: Palette.text),
                    ], maxLines: 2, .notice, notice: true)
            }
            add([Span(text: popup.guidance.zh, bold: true, color: Palette.text)], scale: 1.1, .notice, notice: true)
            add([Span(text: popup.guidance.en, color: Palette.text)], .notice, notice: true)
        }
        if let instruction = screen.instruction {
            add([Span(text: instruction.zh, bold: true, color: Palette.text)], scale: 1.1, .instruction)
            add([Span(text: instruction.en, color: Palette.text)], .instruction)
        }
        for detail in screen.details {
            let zh = [
                Span(text: detail.label.zh, color: Palette.secondaryText),
                Span(text: detail.value.zh, bold: true, color: Palette.text),
            ]
            let en = Span(text: "\(detail.label.en): \(detail.value.en)", color: Palette.secondaryText)
            // One line when it fits at the body's likely size (always in landscape), else Chinese over English.
            let likely = max(minimumText, Int(u * 0.035))
            let oneLine =
                fitter.lines(Paragraph(zh + [en]), width: Double(width - 2 * margin), size: likely).count == 1
            if width >= height || oneLine {
                add(zh + [en], scale: 0.9, maxLines: 2, .detail)
            } else {
                add(zh, scale: 0.9, maxLines: 2, .detail)
                add([en], scale: 0.8, maxLines: 2, .detail)
            }
        }
        return out
    }

    /// Fits the body paragraphs (the notice ones inside a bordered yellow box) into `area`, top-aligned.
    private func layOutBody(_ body: [BodyParagraph], screen: Screen, in area: PixelRect, into plan: inout FramePlan) {
        let hasNotice = body.contains(where: \.inNotice)
        let boxPad = max(6, Int(u * 0.015))
        // The notice box's padding and border take room from the text area.
        let textArea = PixelRect(
            x: area.x + (hasNotice ? boxPad : 0), y: area.y, width: area.width - (hasNotice ? 2 * boxPad : 0),
            height: max(0, area.height - (hasNotice ? 2 * boxPad : 0)))
        let maxSize = max(minimumText, Int(u * 0.05))
        // The body may go a little under the minimum before anything is left out (never under 14 px).
        let block = fitter.fit(
            body.map(\.paragraph), in: textArea, maxSize: maxSize, minSize: max(14, minimumText * 85 / 100), gap: 0.35)
        if block.truncated { plan.truncated = true }
        let gap = Int((Double(block.baseSize) * 0.35).rounded())
        var y = area.y
        var noticeStarted = false
        for (index, fitted) in block.paragraphs.enumerated() {
            let item = body[index]
            var x = area.x
            var w = area.width
            var background = Palette.page
            if item.inNotice {
                if !noticeStarted {
                    noticeStarted = true
                    var noticeHeight = 0
                    var noticeParagraphs = 0
                    for (i, p) in block.paragraphs.enumerated() where body[i].inNotice {
                        noticeHeight += p.height
                        noticeParagraphs += 1
                    }
                    noticeHeight += gap * max(0, noticeParagraphs - 1)
                    let box = PixelRect(x: area.x, y: y, width: area.width, height: noticeHeight + 2 * boxPad)
                    let border = max(2, boxPad / 3)
                    plan.fills.append(.init(rect: box, color: Palette.noticeBorder, radius: boxPad))
                    plan.fills.append(
                        .init(
                            rect: box.insetBy(dx: border, dy: border), color: Palette.notice,
                            radius: max(0, boxPad - border)))
                    y += boxPad
                }
                x += boxPad
                w -= 2 * boxPad
                background = Palette.notice
            } else if noticeStarted, index > 0, body[index - 1].inNotice {
                y += boxPad
            }
            let rect = PixelRect(x: x, y: y, width: w, height: fitted.height)
            place(
                FittedBlock(baseSize: block.baseSize, paragraphs: [fitted], height: fitted.height), in: rect,
                roles: [item.role], background: background, into: &plan)
            y += fitted.height + gap
        }
    }

    // MARK: - 他人代查 tiles

    private func tiles(_ tiles: [Screen.Tile], in area: PixelRect, into plan: inout FramePlan) {
        let n = tiles.count
        let landscape = width >= height
        let columns = landscape ? (n <= 2 ? n : 2) : 1
        let rows = (n + columns - 1) / columns
        let gap = max(6, margin / 2)
        let tileWidth = (area.width - 2 * margin - (columns - 1) * gap) / columns
        let tileHeight = (area.height - 2 * gap - (rows - 1) * gap) / rows
        for (index, tile) in tiles.enumerated() {
            let column = index % columns
            let row = index / columns
            let rect = PixelRect(
                x: margin + column * (tileWidth + gap), y: area.y + gap + row * (tileHeight + gap), width: tileWidth,
                height: tileHeight)
            self.tile(tile, number: index + 1, in: rect, into: &plan)
        }
    }

    private func tile(_ tile: Screen.Tile, number: Int, in rect: PixelRect, into plan: inout FramePlan) {
        let (color, ink) = Palette.band(tile.tone)
        let pad = max(6, min(rect.width, rect.height) / 16)
        plan.fills.append(.init(rect: rect, color: color, radius: pad))
        let iconSide = min(rect.height - 2 * pad, rect.width / 5)
        plan.icons.append(
            .init(
                icon: tile.icon,
                rect: PixelRect(
                    x: rect.x + pad, y: rect.y + (rect.height - iconSide) / 2, width: iconSide, height: iconSide),
                foreground: ink, background: color))
        let textArea = PixelRect(
            x: rect.x + 2 * pad + iconSide, y: rect.y + pad, width: max(1, rect.width - 3 * pad - iconSide),
            height: max(1, rect.height - 2 * pad))
        var paragraphs = [
            Paragraph([Span(text: "\(number). " + tile.title.zh, bold: true, color: ink)], scale: 1.6, maxLines: 2),
            Paragraph([Span(text: tile.title.en, bold: true, color: ink)], maxLines: 2),
        ]
        var roles: [FramePlan.Role] = [.tileStatusWord, .tileText]
        if let notice = tile.notice {
            paragraphs.append(
                Paragraph(
                    [Span(text: notice.zh, bold: true, color: ink), Span(text: notice.en, color: ink)], maxLines: 2))
            roles.append(.tileText)
        }
        let ids = [tile.maskedName, tile.maskedID].compactMap { $0 }
        if !ids.isEmpty {
            paragraphs.append(Paragraph(ids.map { Span(text: $0, color: ink) }, maxLines: 2))
            roles.append(.tileText)
        }
        let block = fitter.fit(
            paragraphs, in: textArea, maxSize: max(minimumText, Int(Double(textArea.height) * 0.16)),
            minSize: minimumText)
        if block.truncated { plan.truncated = true }
        let top = textArea.y + max(0, (textArea.height - block.height) / 2)
        place(
            block, in: PixelRect(x: textArea.x, y: top, width: textArea.width, height: block.height), roles: roles,
            background: color, into: &plan)
    }

    // MARK: - Placing text

    /// Adds the lines of `block` top-down in `area`, paragraph `i` with `roles[i]` (the last role repeats).
    private func place(
        _ block: FittedBlock, in area: PixelRect, roles: [FramePlan.Role], background: UInt32,
        into plan: inout FramePlan
    ) {
        if block.truncated { plan.truncated = true }
        let gap =
            block.paragraphs.count > 1
            ? (area.height - block.paragraphs.reduce(0) { $0 + $1.height }) / (block.paragraphs.count - 1) : 0
        var y = area.y
        for (index, paragraph) in block.paragraphs.enumerated() {
            let role = roles[min(index, roles.count - 1)]
            let lineHeight = LineMetrics.height(size: paragraph.size)
            for line in paragraph.lines {
                let offset = paragraph.centred ? (Double(area.width) - line.width) / 2 : 0
                let start = Double(area.x) + offset
                plan.lines.append(
                    FramePlan.TextLine(
                        role: role,
                        runs: line.runs.map {
                            .init(text: $0.text, bold: $0.span.bold, color: $0.span.color, x: start + $0.x)
                        },
                        size: paragraph.size,
                        box: PixelRect(
                            x: Int(start.rounded(.down)), y: y, width: Int(line.width.rounded(.up)), height: lineHeight),
                        baseline: y + LineMetrics.baselineOffset(size: paragraph.size), area: area,
                        background: background))
                y += lineHeight
            }
            y += max(0, gap)
        }
    }
}
