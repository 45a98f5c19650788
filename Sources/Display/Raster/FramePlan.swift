/// A screen laid out in pixels for one panel size: filled areas, icon shapes and lines of text, each with the
/// colour it is drawn in and the background under it. ``FrameRasterizer`` draws it; tests check it (text inside
/// its area, contrast, the status word's height).
public struct FramePlan: Sendable {
    /// What a line of text is, for tests and tuning.
    public enum Role: String, Sendable, Hashable {
        case venue, dateTime, statusWord, statusEnglish, identity, detail, notice, instruction, provenance
        case tileStatusWord, tileText
    }

    /// A filled rectangle, with rounded corners when `radius` > 0.
    public struct Fill: Sendable {
        public var rect: PixelRect
        public var color: UInt32
        public var radius: Int
    }

    /// An icon shape drawn in `foreground` inside the square `rect` on `background`.
    public struct IconPlacement: Sendable {
        public var icon: Screen.Icon
        public var rect: PixelRect
        public var foreground: UInt32
        public var background: UInt32
    }

    /// One line of text in one or more styles.
    public struct TextLine: Sendable {
        public struct Run: Sendable {
            public var text: String
            public var bold: Bool
            public var color: UInt32
            /// Pen x of the run's first character, in pixels from the image's left edge.
            public var x: Double
        }
        public var role: Role
        public var runs: [Run]
        /// Pixels per em.
        public var size: Int
        /// The line's box: from its top to top + line height, from its pen start to start + measured width.
        public var box: PixelRect
        public var baseline: Int
        /// The area the line had to fit in.
        public var area: PixelRect
        /// The colour under the text.
        public var background: UInt32

        /// The line's text, runs joined.
        public var text: String { runs.map(\.text).joined() }
    }

    public var width: Int
    public var height: Int
    public var background: UInt32
    public var fills: [Fill] = []
    public var icons: [IconPlacement] = []
    public var lines: [TextLine] = []
    /// Whether any text had to be cut short ("…") or left out to fit.
    public var truncated = false

    /// The lines with `role`.
    public func lines(_ role: Role) -> [TextLine] { lines.filter { $0.role == role } }
}
