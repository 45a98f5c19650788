/// Which font files draw text, in fallback order.
///
/// For each character the first face in ``regular`` (or, for bold text, in ``bold``) whose character map has it
/// draws it. Bold text whose character no bold face has is drawn with the first regular face that has it,
/// emboldened synthetically (`FT_Outline_Embolden`). A character no face has is drawn as a hollow box (tofu),
/// never as another character. Files that do not exist are skipped, so one list serves machines with and without
/// the optional packages.
public struct FontConfiguration: Sendable, Hashable {
    /// One face of a font file: `.ttf`/`.otf` have face 0 only; a `.ttc` collection numbers its faces from 0.
    public struct Face: Sendable, Hashable, CustomStringConvertible {
        /// Absolute path of the font file.
        public var path: String
        /// Face index inside the file (0 for a plain `.ttf`).
        public var index: Int

        public init(path: String, index: Int = 0) {
            self.path = path
            self.index = index
        }

        public var description: String { index == 0 ? path : "\(path)#\(index)" }

        /// Parses `FILE` or `FILE#FACE` (a face of a `.ttc` collection, from 0), the form of the `display.fonts`
        /// configuration key and `kioskctl render --font`. `nil` when the face number is not a number from 0 to 255
        /// or the path is empty. Whether the file exists is not checked here.
        public init?(parsing text: String) {
            var path = Substring(text)
            var index = 0
            if let hash = text.lastIndex(of: "#") {
                guard let number = Int(text[text.index(after: hash)...]), (0...255).contains(number) else { return nil }
                index = number
                path = text[..<hash]
            }
            guard !path.isEmpty else { return nil }
            self.init(path: String(path), index: index)
        }
    }

    /// Faces for normal text, in fallback order.
    public var regular: [Face]
    /// Faces with real bold designs, in fallback order; may be empty (then bold is synthetic).
    public var bold: [Face]

    public init(regular: [Face], bold: [Face] = []) {
        self.regular = regular
        self.bold = bold
    }

    /// Debian 12's fonts: DejaVu Sans for Latin (`fonts-dejavu-core`, with a bold face), Noto Sans CJK SC when
    /// `fonts-noto-cjk` is installed (face 2 of the collection is Simplified Chinese; it has a bold face), then
    /// WenQuanYi Micro Hei (`fonts-wqy-microhei`, regular only).
    public static let debian = FontConfiguration(
        regular: [
            Face(path: "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
            Face(path: "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", index: 2),
            Face(path: "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
        ],
        bold: [
            Face(path: "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
            Face(path: "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", index: 2),
        ])

    /// Exactly the fonts the Makefile installs (DejaVu Sans and WenQuanYi Micro Hei): what golden images use, so
    /// they do not change when a machine has more fonts.
    public static let reference = FontConfiguration(
        regular: [
            Face(path: "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
            Face(path: "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
        ],
        bold: [Face(path: "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")])
}
