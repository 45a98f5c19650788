internal import CFreeType

/// Errors opening fonts.
public struct FontError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What failed, with the path and FreeType's error code.
    public var message: String

    public var description: String { message }
}

/// One rendered glyph: an 8-bit coverage bitmap (0 = none, 255 = full) and where it sits relative to the pen.
struct GlyphBitmap: Sendable {
    /// Bitmap width and height in pixels (0 × 0 for a space).
    var width: Int
    var rows: Int
    /// `width * rows` coverage values, row-major from the top.
    var coverage: [UInt8]
    /// Pixels from the pen position to the bitmap's left edge.
    var left: Int
    /// Pixels from the baseline up to the bitmap's top row.
    var top: Int
}

/// Where one character's glyph comes from.
public enum GlyphOrigin: Sendable, Hashable {
    /// Face number `face` (an index into the loaded faces, see ``GlyphSource/faceNames``) has the character;
    /// `synthetic` when bold was asked for and the face is a regular one emboldened.
    case font(face: Int, synthetic: Bool)
    /// No configured face has it: drawn as a hollow box.
    case tofu
    /// A character that is drawn as nothing (variation selectors, zero-width format characters).
    case invisible
}

/// FreeType faces loaded from a ``FontConfiguration``, with a glyph cache keyed by face, glyph and pixel size.
///
/// Text is measured with the faces' linear (unhinted) advances in design units, so measuring needs no rendering
/// and scales exactly with the pixel size; glyphs are rendered unhinted (`FT_LOAD_NO_HINTING`) so the drawn
/// advance matches the measured one.
///
/// Not `Sendable`: FreeType objects are not thread-safe (platform.md §6). Keep one per actor or thread.
public final class GlyphSource {
    private var library: FT_Library?
    private var faces: [FT_Face] = []
    private var unitsPerEm: [Double] = []
    private var isBoldFace: [Bool] = []
    private var regularFaces: [Int] = []
    private var boldFaces: [Int] = []
    /// Names of the loaded faces ("DejaVu Sans Bold", "WenQuanYi Micro Hei"), by face number.
    public private(set) var faceNames: [String] = []
    /// The configured faces that could not be opened (missing optional packages), with the reason.
    public private(set) var skipped: [(face: FontConfiguration.Face, reason: String)] = []

    private struct OriginKey: Hashable {
        var scalar: UInt32
        var bold: Bool
    }
    private struct Resolved {
        var origin: GlyphOrigin
        var glyph: UInt32
        /// Advance in ems (design units / units per em), including synthetic emboldening.
        var advance: Double
    }
    private struct BitmapKey: Hashable {
        var face: Int
        var glyph: UInt32
        var size: Int
        var synthetic: Bool
    }
    private var resolved: [OriginKey: Resolved] = [:]
    private var bitmaps: [BitmapKey: GlyphBitmap] = [:]
    private var currentSize: [Int] = []
    /// Glyph bitmaps rendered since creation (cache misses); for tests and benchmarks.
    public private(set) var renderedGlyphs = 0

    /// Synthetic emboldening strength as a fraction of the pixel size (FreeType's own `FT_GlyphSlot_Embolden` uses
    /// about 1/24 of the em).
    static let emboldenStrength = 1.0 / 24.0

    /// Opens every face of `configuration` that exists.
    /// - Throws: ``FontError`` when FreeType cannot start or no regular face could be opened.
    public init(configuration: FontConfiguration) throws {
        var library: FT_Library?
        let error = FT_Init_FreeType(&library)
        guard error == 0, let library else { throw FontError(message: "FT_Init_FreeType failed: error \(error)") }
        self.library = library
        for face in configuration.regular {
            if let n = open(face, library: library) { regularFaces.append(n) }
        }
        for face in configuration.bold {
            if let n = open(face, library: library) { boldFaces.append(n) }
        }
        guard !regularFaces.isEmpty else {
            let tried = configuration.regular.map(\.description).joined(separator: ", ")
            throw FontError(message: "no regular font could be opened (tried: \(tried))")
        }
    }

    deinit {
        for face in faces { FT_Done_Face(face) }
        if let library { FT_Done_FreeType(library) }
    }

    private func open(_ face: FontConfiguration.Face, library: FT_Library) -> Int? {
        var handle: FT_Face?
        let error = FT_New_Face(library, face.path, FT_Long(face.index), &handle)
        guard error == 0, let handle else {
            skipped.append((face, "FT_New_Face error \(error)"))
            return nil
        }
        guard handle.pointee.face_flags & FT_Long(FT_FACE_FLAG_SCALABLE) != 0 else {
            FT_Done_Face(handle)
            skipped.append((face, "not a scalable font"))
            return nil
        }
        faces.append(handle)
        unitsPerEm.append(Double(max(1, handle.pointee.units_per_EM)))
        isBoldFace.append(handle.pointee.style_flags & FT_Long(FT_STYLE_FLAG_BOLD) != 0)
        currentSize.append(0)
        let family = handle.pointee.family_name.map { String(cString: $0) } ?? "?"
        let style = handle.pointee.style_name.map { String(cString: $0) } ?? ""
        faceNames.append(style.isEmpty ? family : "\(family) \(style)")
        return faces.count - 1
    }

    /// Which face draws `scalar` in `bold` text, or why none does.
    public func origin(of scalar: Unicode.Scalar, bold: Bool) -> GlyphOrigin {
        resolve(scalar, bold: bold).origin
    }

    private func resolve(_ scalar: Unicode.Scalar, bold: Bool) -> Resolved {
        let key = OriginKey(scalar: scalar.value, bold: bold)
        if let hit = resolved[key] { return hit }
        let result = lookUp(scalar, bold: bold)
        resolved[key] = result
        return result
    }

    private func lookUp(_ scalar: Unicode.Scalar, bold: Bool) -> Resolved {
        if Self.isInvisible(scalar) { return Resolved(origin: .invisible, glyph: 0, advance: 0) }
        var candidates: [(face: Int, synthetic: Bool)] = bold ? boldFaces.map { ($0, false) } : []
        candidates += regularFaces.map { ($0, bold && !isBoldFace[$0]) }
        for (face, synthetic) in candidates {
            let glyph = FT_Get_Char_Index(faces[face], FT_ULong(scalar.value))
            guard glyph != 0 else { continue }
            var advance: FT_Fixed = 0
            FT_Get_Advance(faces[face], glyph, FT_Int32(FT_LOAD_NO_SCALE), &advance)
            let ems = Double(advance) / unitsPerEm[face] + (synthetic ? Self.emboldenStrength : 0)
            return Resolved(origin: .font(face: face, synthetic: synthetic), glyph: glyph, advance: ems)
        }
        return Resolved(origin: .tofu, glyph: 0, advance: Tofu.advance)
    }

    /// Variation selectors and zero-width format characters: never drawn, never tofu.
    static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0xFE00...0xFE0F, 0xE0100...0xE01EF, 0x200B...0x200F, 0x2060...0x2064, 0xFEFF: true
        default: scalar.properties.generalCategory == .control
        }
    }

    /// Width of `text` in pixels at `size` pixels per em.
    public func width(of text: some StringProtocol, size: Int, bold: Bool) -> Double {
        var ems = 0.0
        for scalar in text.unicodeScalars { ems += resolve(scalar, bold: bold).advance }
        return ems * Double(size)
    }

    /// Calls `body` with each visible glyph of `text` at `size`: its bitmap (nil for tofu) and pen x in pixels
    /// from the start of the text.
    func forEachGlyph(
        in text: some StringProtocol, size: Int, bold: Bool, _ body: (GlyphBitmap?, Double) -> Void
    ) {
        var pen = 0.0
        for scalar in text.unicodeScalars {
            let glyph = resolve(scalar, bold: bold)
            switch glyph.origin {
            case .invisible:
                continue
            case .tofu:
                body(nil, pen)
            case .font(let face, let synthetic):
                if let bitmap = bitmap(face: face, glyph: glyph.glyph, size: size, synthetic: synthetic) {
                    body(bitmap, pen)
                }
            }
            pen += glyph.advance * Double(size)
        }
    }

    private func bitmap(face: Int, glyph: UInt32, size: Int, synthetic: Bool) -> GlyphBitmap? {
        let key = BitmapKey(face: face, glyph: glyph, size: size, synthetic: synthetic)
        if let hit = bitmaps[key] { return hit }
        let handle = faces[face]
        if currentSize[face] != size {
            guard FT_Set_Pixel_Sizes(handle, 0, FT_UInt(size)) == 0 else { return nil }
            currentSize[face] = size
        }
        guard FT_Load_Glyph(handle, glyph, FT_Int32(FT_LOAD_NO_HINTING | FT_LOAD_NO_BITMAP)) == 0,
            let slot = handle.pointee.glyph
        else { return nil }
        if synthetic, slot.pointee.format == FT_GLYPH_FORMAT_OUTLINE {
            let strength = FT_Pos((Double(size) * Self.emboldenStrength * 64).rounded())
            FT_Outline_Embolden(&slot.pointee.outline, strength)
        }
        guard FT_Render_Glyph(slot, FT_RENDER_MODE_NORMAL) == 0 else { return nil }
        let bitmap = slot.pointee.bitmap
        let width = Int(bitmap.width)
        let rows = Int(bitmap.rows)
        var coverage = [UInt8](repeating: 0, count: width * rows)
        if width > 0, rows > 0, let buffer = bitmap.buffer, bitmap.pixel_mode == UInt8(FT_PIXEL_MODE_GRAY.rawValue) {
            let pitch = Int(bitmap.pitch)
            coverage.withUnsafeMutableBufferPointer { coverage in
                for y in 0..<rows {
                    // A negative pitch means the rows are stored bottom-up.
                    let row = pitch >= 0 ? buffer + y * pitch : buffer + (rows - 1 - y) * (-pitch)
                    (coverage.baseAddress! + y * width).update(from: row, count: width)
                }
            }
        }
        let result = GlyphBitmap(
            width: width, rows: rows, coverage: coverage, left: Int(slot.pointee.bitmap_left),
            top: Int(slot.pointee.bitmap_top))
        bitmaps[key] = result
        renderedGlyphs += 1
        return result
    }

    /// Forgets every rendered glyph (the character → face map stays); for cold-cache benchmarks.
    public func clearGlyphCache() {
        bitmaps.removeAll(keepingCapacity: false)
    }

    /// Number of glyph bitmaps in the cache.
    public var cachedGlyphCount: Int { bitmaps.count }
}

/// The box drawn for a character no font has: a hollow rectangle, so a missing character is visible as missing
/// and never looks like another character.
enum Tofu {
    /// Advance in ems.
    static let advance = 0.8
    /// The box relative to the pen and baseline, in ems: x from `left` to `left + width`, from `top` above the
    /// baseline down to `bottom` below it.
    static let left = 0.1
    static let width = 0.6
    static let top = 0.8
    static let bottom = 0.1

    /// Stroke width in pixels at `size`.
    static func stroke(size: Int) -> Int { max(1, size / 14) }
}
