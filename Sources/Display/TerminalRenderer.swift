/// Draws a ``Screen`` full-screen with ANSI escape sequences: a header (venue, date and time), a tall band in the
/// tone's colour with the icon shape and the status words in both languages in a frame, the masked name and ID,
/// the details, the pop-up notice, what to do, and the provenance on the last line.
///
/// `render` is pure: the same screen and size give the same bytes. Every line is exactly `columns` wide (CJK
/// characters count 2, see ``DisplayText/width(_:)``), lines are separated by CR LF and the last has no line break,
/// so nothing scrolls. Colours are the 16 basic ones (the Linux console has them) in high-contrast pairs: black on
/// bright green or yellow, white on red or blue. Text from data is stripped of control characters before drawing.
public struct TerminalRenderer: Sendable {
    /// Which languages and characters the terminal can show.
    public enum Script: String, Sendable, Hashable {
        /// Chinese and English, box-drawing frames: terminal emulators with CJK fonts.
        case bilingual
        /// English only, ASCII frames: the Linux virtual console, whose fonts have no Chinese (it would print
        /// boxes). Names in Chinese are left out; masked ID numbers stay.
        case englishOnly
    }

    public var script: Script

    public init(script: Script = .bilingual) {
        self.script = script
    }

    /// The escape sequences and text that draw `screen` on a `columns` × `rows` terminal.
    public func render(_ screen: Screen, columns: Int, rows: Int) -> String {
        let width = max(1, columns)
        let height = max(1, rows)
        let english = script == .englishOnly
        let lines = TerminalLayout(screen: screen, width: width, englishOnly: english).lines(height: height)
        // Synchronized update (ignored where unsupported), hide cursor, home, clear.
        var out = "\u{1B}[?2026h\u{1B}[?25l\u{1B}[0m\u{1B}[H\u{1B}[2J"
        out += lines.map { $0.ansi(width: width, asciiOnly: english) }.joined(separator: "\r\n")
        out += "\u{1B}[0m\u{1B}[?2026l"
        return out
    }

    /// Shows the cursor, resets colours and clears: for leaving the terminal as it was.
    public static let restoreSequence = "\u{1B}[0m\u{1B}[H\u{1B}[2J\u{1B}[?25h"
}

/// An SGR attribute set.
struct TerminalStyle: Hashable {
    var codes: String
    var sgr: String { "\u{1B}[\(codes)m" }

    static let body = TerminalStyle(codes: "0;97;40")
    static let bodyBold = TerminalStyle(codes: "0;1;97;40")
    static let label = TerminalStyle(codes: "0;37;40")
    static let header = TerminalStyle(codes: "0;30;47")
    static let notice = TerminalStyle(codes: "0;1;30;103")

    static func band(_ tone: Screen.Tone) -> TerminalStyle {
        switch tone {
        case .green: TerminalStyle(codes: "0;1;30;102")
        case .yellow: TerminalStyle(codes: "0;1;30;103")
        case .red: TerminalStyle(codes: "0;1;97;41")
        case .blue: TerminalStyle(codes: "0;1;97;44")
        case .neutral: TerminalStyle(codes: "0;1;30;47")
        }
    }
}

/// One terminal row: a base style (also used for padding) and styled spans.
struct TerminalLine {
    struct Span {
        var style: TerminalStyle?
        var text: String
    }

    var base: TerminalStyle
    var spans: [Span]

    init(_ base: TerminalStyle, _ spans: [Span]) {
        self.base = base
        self.spans = spans
    }

    init(_ base: TerminalStyle, _ text: String = "") {
        self.init(base, [Span(style: nil, text: text)])
    }

    /// Plain text of the row, cut and padded to exactly `width` columns; with `asciiOnly`, every character
    /// outside ASCII becomes one ASCII character (frames and `·` to their ASCII look-alikes, anything else `?`).
    func ansi(width: Int, asciiOnly: Bool = false) -> String {
        var out = base.sgr
        var used = 0
        for span in spans {
            let clean = DisplayText.sanitized(span.text)
            let text = DisplayText.prefix(asciiOnly ? Self.ascii(clean) : clean, fitting: width - used)
            guard !text.isEmpty else { continue }
            if let style = span.style {
                out += style.sgr + text + base.sgr
            } else {
                out += text
            }
            used += DisplayText.width(text)
        }
        out += String(repeating: " ", count: max(0, width - used))
        return out + "\u{1B}[0m"
    }

    /// One ASCII character per character of `text` (wide characters become two).
    static func ascii(_ text: String) -> String {
        var out = ""
        for character in text {
            if character.isASCII {
                out.append(character)
                continue
            }
            switch character {
            case "━", "─", "·", "–", "—": out += "-"
            case "┃", "│": out += "|"
            case "┏", "┓", "┗", "┛": out += "+"
            case "…": out += "."
            default: out += String(repeating: "?", count: max(1, DisplayText.width(of: character)))
            }
        }
        return out
    }
}
