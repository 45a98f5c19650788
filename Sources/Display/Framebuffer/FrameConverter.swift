/// Software rotation of the picture on the panel, clockwise, in degrees (psplash and LVGL rotate the same way:
/// most fbdev drivers ignore `rotate`, anchors.md §4.5).
///
/// The logical image the layout draws is the panel's size for 0° and 180°, and the panel's size with width and
/// height swapped for 90° and 270° (a landscape panel mounted upright shows a portrait screen).
public enum FramebufferRotation: Int, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The image as it is.
    case none = 0
    /// The image turned a quarter clockwise: its top-left pixel lands at the panel's top-right.
    case clockwise90 = 90
    /// Upside down.
    case upsideDown = 180
    /// The image turned three quarters clockwise: its top-left pixel lands at the panel's bottom-left.
    case clockwise270 = 270

    /// Degrees 0, 90, 180 or 270; `nil` for anything else.
    public init?(degrees: Int) { self.init(rawValue: degrees) }

    /// Whether width and height swap between panel and image.
    public var swapsAxes: Bool { self == .clockwise90 || self == .clockwise270 }

    /// The logical image size for a panel of `panelWidth` × `panelHeight` pixels.
    public func imageSize(panelWidth: Int, panelHeight: Int) -> (width: Int, height: Int) {
        swapsAxes ? (panelHeight, panelWidth) : (panelWidth, panelHeight)
    }

    /// The panel pixel that shows image pixel (`x`, `y`) of an image `width` × `height`.
    public func panelPoint(x: Int, y: Int, imageWidth width: Int, imageHeight height: Int) -> (x: Int, y: Int) {
        switch self {
        case .none: (x, y)
        case .clockwise90: (height - 1 - y, x)
        case .upsideDown: (width - 1 - x, height - 1 - y)
        case .clockwise270: (y, width - 1 - x)
        }
    }

    public var description: String { "\(rawValue)°" }
}

/// Turns a ``RasterImage`` into the panel's rows, rotated and in the panel's ``PixelFormat``: `panelHeight` rows of
/// `panelWidth × bytesPerPixel` bytes each, packed (the stride is applied when rows are copied to the device).
struct FrameConverter: Sendable {
    let format: PixelFormat
    let rotation: FramebufferRotation
    let panelWidth: Int
    let panelHeight: Int

    var rowBytes: Int { panelWidth * format.bytesPerPixel }
    var imageSize: (width: Int, height: Int) {
        rotation.imageSize(panelWidth: panelWidth, panelHeight: panelHeight)
    }

    /// Where panel row `row` starts in the image's pixel array and how far to step per panel column.
    private func sourceRow(_ row: Int) -> (start: Int, step: Int) {
        let (width, height) = imageSize
        switch rotation {
        case .none: return (row * width, 1)
        case .upsideDown: return ((height - 1 - row) * width + width - 1, -1)
        case .clockwise90: return ((height - 1) * width + row, -width)
        case .clockwise270: return (width - 1 - row, width)
        }
    }

    /// Converts all of `image` into `rows`, which holds `panelHeight × rowBytes` bytes.
    ///
    /// For 90° and 270° a panel row is an image column, so rows are converted in bands of ``band`` panel rows,
    /// walking the image along its rows (cache lines) instead of down its columns.
    /// - Precondition: `image` is ``imageSize`` and `rows` is large enough (the surface checks both).
    func convert(_ image: RasterImage, into rows: UnsafeMutableRawBufferPointer) {
        precondition(image.width == imageSize.width && image.height == imageSize.height, "image is not the panel's size")
        precondition(rows.count >= panelHeight * rowBytes, "row buffer too small")
        switch format.known {
        case .xrgb8888: convert(image, into: rows, with: XRGB8888Writer())
        case .argb8888: convert(image, into: rows, with: ARGB8888Writer())
        case .xbgr8888: convert(image, into: rows, with: XBGR8888Writer())
        case .rgb565: convert(image, into: rows, with: RGB565Writer())
        case .bgr565: convert(image, into: rows, with: BGR565Writer())
        case .bgr24: convert(image, into: rows, with: BGR24Writer())
        case .rgb24: convert(image, into: rows, with: RGB24Writer())
        case nil: convert(image, into: rows, with: BitfieldWriter(format: format))
        }
    }

    /// Panel rows converted together when the image is rotated a quarter turn.
    static let band = 16

    private func convert<Writer: PixelWriter>(
        _ image: RasterImage, into rows: UnsafeMutableRawBufferPointer, with writer: Writer
    ) {
        let base = rows.baseAddress!
        let rowBytes = self.rowBytes
        let size = writer.bytesPerPixel
        image.pixels.withUnsafeBufferPointer { pixels in
            let source = pixels.baseAddress!
            if rotation == .none {
                // Image rows are panel rows: one pass over each, source and target both contiguous.
                for row in 0..<panelHeight {
                    writer.storeRow(source + row * panelWidth, count: panelWidth, to: base + row * rowBytes)
                }
                return
            }
            if !rotation.swapsAxes {
                for row in 0..<panelHeight {
                    let (start, step) = sourceRow(row)
                    let from = source + start
                    let out = base + row * rowBytes
                    for i in 0..<panelWidth { writer.store(from[i * step], to: out + i * size) }
                }
                return
            }
            // A quarter turn transposes: convert in tiles of band × band pixels so the image lines read for one
            // panel row are still in cache for the next. Every panel row steps through the image by the same amount.
            let step = sourceRow(0).step
            let band = Self.band
            var top = 0
            while top < panelHeight {
                let bottom = min(top + band, panelHeight)
                var left = 0
                while left < panelWidth {
                    let right = min(left + band, panelWidth)
                    for row in top..<bottom {
                        let from = source + sourceRow(row).start
                        let out = base + row * rowBytes
                        for i in left..<right { writer.store(from[i * step], to: out + i * size) }
                    }
                    left = right
                }
                top = bottom
            }
        }
    }
}

/// Stores one `0x00RRGGBB` pixel in a panel format; one type per fast path, so the loops specialise.
protocol PixelWriter {
    var bytesPerPixel: Int { get }
    func store(_ rgb: UInt32, to out: UnsafeMutableRawPointer)
}

extension PixelWriter {
    /// Stores `count` pixels from `from` at `out`, `bytesPerPixel` apart: one tight loop the compiler vectorises.
    @inline(__always)
    func storeRow(_ from: UnsafePointer<UInt32>, count: Int, to out: UnsafeMutableRawPointer) {
        let size = bytesPerPixel
        for i in 0..<count { store(from[i], to: out + i * size) }
    }
}

struct XRGB8888Writer: PixelWriter {
    var bytesPerPixel: Int { 4 }
    @inline(__always) func store(_ p: UInt32, to out: UnsafeMutableRawPointer) {
        out.storeBytes(of: p & 0x00FF_FFFF, as: UInt32.self)
    }
}

struct ARGB8888Writer: PixelWriter {
    var bytesPerPixel: Int { 4 }
    @inline(__always) func store(_ p: UInt32, to out: UnsafeMutableRawPointer) {
        out.storeBytes(of: p | 0xFF00_0000, as: UInt32.self)
    }
}

struct XBGR8888Writer: PixelWriter {
    var bytesPerPixel: Int { 4 }
    @inline(__always) func store(_ p: UInt32, to out: UnsafeMutableRawPointer) {
        out.storeBytes(of: (p & 0x0000_FF00) | ((p >> 16) & 0xFF) | ((p & 0xFF) << 16), as: UInt32.self)
    }
}

struct RGB565Writer: PixelWriter {
    var bytesPerPixel: Int { 2 }
    @inline(__always) func store(_ p: UInt32, to out: UnsafeMutableRawPointer) {
        let value = ((p >> 8) & 0xF800) | ((p >> 5) & 0x07E0) | ((p >> 3) & 0x001F)
        out.storeBytes(of: UInt16(truncatingIfNeeded: value), as: UInt16.self)
    }
}

struct BGR565Writer: PixelWriter {
    var bytesPerPixel: Int { 2 }
    @inline(__always) func store(_ p: UInt32, to out: UnsafeMutableRawPointer) {
        let value = ((p << 8) & 0xF800) | ((p >> 5) & 0x07E0) | ((p >> 19) & 0x001F)
        out.storeBytes(of: UInt16(truncatingIfNeeded: value), as: UInt16.self)
    }
}

/// Bytes B, G, R.
struct BGR24Writer: PixelWriter {
    var bytesPerPixel: Int { 3 }
    @inline(__always) func store(_ p: UInt32, to out: UnsafeMutableRawPointer) {
        out.storeBytes(of: UInt8(truncatingIfNeeded: p), as: UInt8.self)
        out.storeBytes(of: UInt8(truncatingIfNeeded: p >> 8), toByteOffset: 1, as: UInt8.self)
        out.storeBytes(of: UInt8(truncatingIfNeeded: p >> 16), toByteOffset: 2, as: UInt8.self)
    }
}

/// Bytes R, G, B.
struct RGB24Writer: PixelWriter {
    var bytesPerPixel: Int { 3 }
    @inline(__always) func store(_ p: UInt32, to out: UnsafeMutableRawPointer) {
        out.storeBytes(of: UInt8(truncatingIfNeeded: p >> 16), as: UInt8.self)
        out.storeBytes(of: UInt8(truncatingIfNeeded: p >> 8), toByteOffset: 1, as: UInt8.self)
        out.storeBytes(of: UInt8(truncatingIfNeeded: p), toByteOffset: 2, as: UInt8.self)
    }
}

/// Any layout ``PixelFormat`` accepts: the value from the bitfields, stored little-endian in 2, 3 or 4 bytes.
struct BitfieldWriter: PixelWriter {
    let format: PixelFormat
    var bytesPerPixel: Int { format.bytesPerPixel }
    @inline(__always) func store(_ p: UInt32, to out: UnsafeMutableRawPointer) {
        let value = format.pixelValue(p)
        for b in 0..<format.bytesPerPixel {
            out.storeBytes(of: UInt8(truncatingIfNeeded: value >> UInt64(8 * b)), toByteOffset: b, as: UInt8.self)
        }
    }
}
