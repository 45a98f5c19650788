/// A run of text in one style inside a paragraph.
struct Span: Hashable {
    var text: String
    var bold: Bool = false
    var color: UInt32
}

/// Text to fit into a box: spans that wrap together, at `scale` times the box's base size.
struct Paragraph {
    var spans: [Span]
    var scale: Double = 1
    var maxLines: Int = 3
    var centred = false

    init(_ spans: [Span], scale: Double = 1, maxLines: Int = 3, centred: Bool = false) {
        self.spans = spans
        self.scale = scale
        self.maxLines = maxLines
        self.centred = centred
    }
}

/// One laid-out line: runs with their x offsets from the line start, and the total width in pixels.
struct LaidOutLine {
    struct Run {
        var span: Span
        var text: String
        var x: Double
    }
    var runs: [Run]
    var width: Double
}

/// Line metrics as fractions of the pixel size (CJK faces: ascender ≈ 0.94 em, descender ≈ 0.24 em).
enum LineMetrics {
    static let lineHeight = 1.25
    static let baseline = 0.98

    static func height(size: Int) -> Int { Int((Double(size) * lineHeight).rounded(.up)) }
    static func baselineOffset(size: Int) -> Int { Int((Double(size) * baseline).rounded()) }
}

/// Measured line breaking: at spaces, and between CJK characters (closing punctuation stays with the character
/// before it). A word wider than the line is broken between characters. Never returns a line wider than `width`
/// unless a single character is.
struct TextFitter {
    let glyphs: GlyphSource

    private struct Token {
        var span: Int
        var text: String
        var spaceBefore: Bool
    }

    private static let closing: Set<Character> = [
        "，", "。", "、", "；", "：", "！", "？", "）", "」", "》", ",", ".", ":", ";", ")",
    ]

    private static func isBreakable(_ character: Character) -> Bool {
        DisplayText.width(of: character) == 2
    }

    private func tokens(_ spans: [Span]) -> [Token] {
        var out: [Token] = []
        for (index, span) in spans.enumerated() {
            var current = ""
            // Whether every character of `current` is breakable (CJK); true while it is empty.
            var currentBreakable = true
            var space = index > 0
            func flush() {
                if !current.isEmpty {
                    out.append(Token(span: index, text: current, spaceBefore: space))
                    current = ""
                    currentBreakable = true
                    space = false
                }
            }
            for character in DisplayText.sanitized(span.text) {
                if character == " " {
                    flush()
                    space = true
                } else if Self.closing.contains(character), current.isEmpty, let last = out.last, last.span == index,
                    !space
                {
                    out[out.count - 1].text.append(character)
                } else {
                    let breakable = Self.isBreakable(character)
                    // A change between CJK and Latin text is a break opportunity.
                    if breakable != currentBreakable { flush() }
                    current.append(character)
                    currentBreakable = currentBreakable && breakable
                }
            }
            flush()
        }
        return out
    }

    /// `paragraph` broken into lines no wider than `width` at pixel `size`.
    func lines(_ paragraph: Paragraph, width: Double, size: Int) -> [LaidOutLine] {
        let spans = paragraph.spans
        let space = { (bold: Bool) in glyphs.width(of: " ", size: size, bold: bold) }
        var lines: [LaidOutLine] = []
        var current = LaidOutLine(runs: [], width: 0)

        func append(_ token: Token, gap: Double, tokenWidth: Double) {
            let x = current.width + gap
            if let last = current.runs.last, last.span == spans[token.span] {
                current.runs[current.runs.count - 1].text += (gap > 0 ? " " : "") + token.text
            } else {
                current.runs.append(LaidOutLine.Run(span: spans[token.span], text: token.text, x: x))
            }
            current.width = x + tokenWidth
        }

        /// A word wider than the line, on fresh lines, broken between characters.
        func breakLong(_ token: Token, bold: Bool) {
            // Chinese is split into lines of equal length (未见/异常, not 未见异/常) when the pieces fit.
            let characters = Array(token.text)
            if characters.allSatisfy(Self.isBreakable) {
                let total = glyphs.width(of: token.text, size: size, bold: bold)
                let count = Int((total / width).rounded(.up))
                let per = (characters.count + count - 1) / max(1, count)
                var pieces = stride(from: 0, to: characters.count, by: max(1, per)).map {
                    String(characters[$0..<min(characters.count, $0 + per)])
                }
                // Closing punctuation never starts a line: it joins the piece before.
                for index in pieces.indices.dropFirst() {
                    while let first = pieces[index].first, Self.closing.contains(first) {
                        pieces[index - 1].append(pieces[index].removeFirst())
                    }
                }
                pieces.removeAll { $0.isEmpty }
                let widths = pieces.map { glyphs.width(of: $0, size: size, bold: bold) }
                if widths.allSatisfy({ $0 <= width }) {
                    for (index, piece) in pieces.enumerated() {
                        append(
                            Token(span: token.span, text: piece, spaceBefore: false), gap: 0, tokenWidth: widths[index])
                        if index < pieces.count - 1 {
                            lines.append(current)
                            current = LaidOutLine(runs: [], width: 0)
                        }
                    }
                    return
                }
            }
            var piece = ""
            for character in token.text {
                let candidate = piece + String(character)
                if glyphs.width(of: candidate, size: size, bold: bold) > width, !piece.isEmpty {
                    // Closing punctuation never starts a line: the character before it moves down with it.
                    var carried = String(character)
                    if Self.closing.contains(character), piece.count > 1 { carried = String(piece.removeLast()) + carried }
                    let w = glyphs.width(of: piece, size: size, bold: bold)
                    append(Token(span: token.span, text: piece, spaceBefore: false), gap: 0, tokenWidth: w)
                    lines.append(current)
                    current = LaidOutLine(runs: [], width: 0)
                    piece = carried
                } else {
                    piece = candidate
                }
            }
            if !piece.isEmpty {
                let w = glyphs.width(of: piece, size: size, bold: bold)
                append(Token(span: token.span, text: piece, spaceBefore: false), gap: 0, tokenWidth: w)
            }
        }

        for token in tokens(spans) {
            let bold = spans[token.span].bold
            let tokenWidth = glyphs.width(of: token.text, size: size, bold: bold)
            let gap = current.runs.isEmpty || !token.spaceBefore ? 0 : space(bold)
            if current.width + gap + tokenWidth <= width || current.runs.isEmpty && tokenWidth <= width {
                append(token, gap: current.runs.isEmpty ? 0 : gap, tokenWidth: tokenWidth)
                continue
            }
            // A run of Chinese longer than a short word fills the rest of the line (Chinese breaks between any two
            // characters); a short one (弹窗, 时空关联) moves to the next line whole.
            if !current.runs.isEmpty, token.text.count > 4, token.text.allSatisfy(Self.isBreakable) {
                var head = ""
                var rest = Substring(token.text)
                while let next = rest.first,
                    current.width + gap + glyphs.width(of: head + String(next), size: size, bold: bold) <= width
                {
                    head.append(next)
                    rest = rest.dropFirst()
                }
                // Closing punctuation never starts a line.
                while let next = rest.first, Self.closing.contains(next), !head.isEmpty {
                    rest = Substring(String(head.removeLast()) + rest)
                }
                if !head.isEmpty {
                    append(
                        Token(span: token.span, text: head, spaceBefore: token.spaceBefore), gap: gap,
                        tokenWidth: glyphs.width(of: head, size: size, bold: bold))
                    lines.append(current)
                    current = LaidOutLine(runs: [], width: 0)
                    let restText = String(rest)
                    let restWidth = glyphs.width(of: restText, size: size, bold: bold)
                    if restWidth <= width {
                        if !restText.isEmpty {
                            append(
                                Token(span: token.span, text: restText, spaceBefore: false), gap: 0,
                                tokenWidth: restWidth)
                        }
                        continue
                    }
                    breakLong(Token(span: token.span, text: restText, spaceBefore: false), bold: bold)
                    continue
                }
            }
            if !current.runs.isEmpty {
                lines.append(current)
                current = LaidOutLine(runs: [], width: 0)
            }
            if tokenWidth <= width {
                append(token, gap: 0, tokenWidth: tokenWidth)
                continue
            }
            breakLong(token, bold: bold)
        }
        if !current.runs.isEmpty { lines.append(current) }
        return lines
    }

    /// The last line cut so that it ends in "…" within `width`.
    func ellipsized(_ line: LaidOutLine, width: Double, size: Int) -> LaidOutLine {
        var line = line
        while let last = line.runs.last {
            let ellipsis = glyphs.width(of: "…", size: size, bold: last.span.bold)
            let runWidth = glyphs.width(of: last.text, size: size, bold: last.span.bold)
            if last.x + runWidth + ellipsis <= width {
                line.runs[line.runs.count - 1].text += "…"
                line.width = last.x + runWidth + ellipsis
                return line
            }
            var text = last.text
            if text.isEmpty {
                line.runs.removeLast()
                continue
            }
            text.removeLast()
            line.runs[line.runs.count - 1].text = text
        }
        return LaidOutLine(runs: [], width: 0)
    }

    /// A block of paragraphs fitted into `box`: the largest base size from `maxSize` down to `minSize` at which
    /// every paragraph has at most its `maxLines` and the whole block (with `gap` × size between paragraphs) is
    /// no taller than the box. At `minSize`, paragraphs are cut to their `maxLines` (ending in "…") and those
    /// that still do not fit are left out from the end, so nothing ever overflows.
    func fit(_ paragraphs: [Paragraph], in box: PixelRect, maxSize: Int, minSize: Int, gap: Double = 0.3)
        -> FittedBlock
    {
        var size = max(minSize, maxSize)
        while true {
            let block = layOut(paragraphs, width: Double(box.width), base: size, gap: gap)
            let fitsLines = zip(block.paragraphs, paragraphs).allSatisfy { $0.lines.count <= $1.maxLines }
            if fitsLines && block.height <= box.height { return block }
            if size <= minSize { break }
            size = max(minSize, min(size - 1, Int(Double(size) * 0.94)))
        }
        // At the smallest size: cut paragraphs to their line limit, then drop from the end until the block fits.
        var block = layOut(paragraphs, width: Double(box.width), base: minSize, gap: gap)
        for index in block.paragraphs.indices where block.paragraphs[index].lines.count > paragraphs[index].maxLines {
            var lines = Array(block.paragraphs[index].lines.prefix(paragraphs[index].maxLines))
            lines[lines.count - 1] = ellipsized(
                lines[lines.count - 1], width: Double(box.width), size: block.paragraphs[index].size)
            block.paragraphs[index].lines = lines
            block.truncated = true
        }
        block.recomputeHeight(gap: gap)
        while block.height > box.height, !block.paragraphs.isEmpty {
            let last = block.paragraphs.count - 1
            if block.paragraphs[last].lines.count > 1 {
                block.paragraphs[last].lines.removeLast()
                let n = block.paragraphs[last].lines.count - 1
                block.paragraphs[last].lines[n] = ellipsized(
                    block.paragraphs[last].lines[n], width: Double(box.width), size: block.paragraphs[last].size)
            } else {
                block.paragraphs.removeLast()
            }
            block.truncated = true
            block.recomputeHeight(gap: gap)
        }
        return block
    }

    private func layOut(_ paragraphs: [Paragraph], width: Double, base: Int, gap: Double) -> FittedBlock {
        var block = FittedBlock(baseSize: base, paragraphs: [], height: 0)
        for paragraph in paragraphs {
            // A paragraph scaled down never goes under 14 px (or the base size, if that is smaller).
            let size = max(min(base, 14), Int((Double(base) * paragraph.scale).rounded()))
            block.paragraphs.append(
                FittedBlock.Fitted(
                    size: size, centred: paragraph.centred, lines: lines(paragraph, width: width, size: size)))
        }
        block.recomputeHeight(gap: gap)
        return block
    }
}

/// Paragraphs laid out at one base size.
struct FittedBlock {
    struct Fitted {
        var size: Int
        var centred: Bool
        var lines: [LaidOutLine]
        var height: Int { lines.count * LineMetrics.height(size: size) }
    }
    var baseSize: Int
    var paragraphs: [Fitted]
    var height: Int
    /// Whether text had to be cut or left out.
    var truncated = false

    mutating func recomputeHeight(gap: Double) {
        let gaps = max(0, paragraphs.count - 1)
        height = paragraphs.reduce(0) { $0 + $1.height } + gaps * Int((Double(baseSize) * gap).rounded())
    }
}
