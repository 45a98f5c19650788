/// What a terminal shows, for comparing a screen drawn on a pty with the text a test expects.
public enum TerminalText {
    /// `text` without CSI escape sequences (ECMA-48 §5.4: ESC `[`, parameters, one final byte 0x40–0x7E) and
    /// without white space, so a comparison ignores colours, cursor moves and how the layout padded the lines.
    public static func plain(_ text: String) -> String {
        var out = ""
        var iterator = text.unicodeScalars.makeIterator()
        while let scalar = iterator.next() {
            if scalar == "\u{1B}" {
                guard let next = iterator.next() else { break }
                if next == "[" {
                    while let c = iterator.next(), !(0x40...0x7E).contains(c.value) {}
                }
                continue
            }
            if !scalar.properties.isWhitespace { out.unicodeScalars.append(scalar) }
        }
        return out
    }
}
