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
    /// - Precondition: `image` is ``imageSize`` and `rows` is large enough (the surface checks both).
    func convert(_ image: RasterImage, into rows: UnsafeMutableRawBufferPointer) {
        precondition(image.width == imageSize.width && image.height == imageSize.height, "image is not the panel's size")
        precondition(rows.count >= panelHeight * rowBytes, "row buffer too small")
        let base = rows.baseAddress!
        image.pixels.withUnsafeBufferPointer { pixels in
            let source = pixels.baseAddress!
            for row in 0..<panelHeight {
                let (start, step) = sourceRow(row)
                convertRow(source + start, step: step, into: base + row * rowBytes)
            }
        }
    }

    @inline(__always)
    private func convertRow(_ source: UnsafePointer<UInt32>, step: Int, into out: UnsafeMutableRawPointer) {
        let count = panelWidth
        switch format.known {
        case .xrgb8888:
            for i in 0..<count {
                out.storeBytes(of: source[i * step] & 0x00FF_FFFF, toByteOffset: i * 4, as: UInt32.self)
            }
        case .argb8888:
            for i in 0..<count {
                out.storeBytes(of: source[i * step] | 0xFF00_0000, toByteOffset: i * 4, as: UInt32.self)
            }
        case .xbgr8888:
            for i in 0..<count {
                let p = source[i * step]
                let value = (p & 0x0000_FF00) | ((p >> 16) & 0xFF) | ((p & 0xFF) << 16)
                out.storeBytes(of: value, toByteOffset: i * 4, as: UInt32.self)
            }
        case .rgb565:
            for i in 0..<count {
                let p = source[i * step]
                let value = ((p >> 8) & 0xF800) | ((p >> 5) & 0x07E0) | ((p >> 3) & 0x001F)
                out.storeBytes(of: UInt16(truncatingIfNeeded: value), toByteOffset: i * 2, as: UInt16.self)
            }
        case .bgr565:
            for i in 0..<count {
                let p = source[i * step]
                let value = ((p << 8) & 0xF800) | ((p >> 5) & 0x07E0) | ((p >> 19) & 0x001F)
                out.storeBytes(of: UInt16(truncatingIfNeeded: value), toByteOffset: i * 2, as: UInt16.self)
            }
        case .bgr24:
            let bytes = out.assumingMemoryBound(to: UInt8.self)
            for i in 0..<count {
                let p = source[i * step]
                bytes[i * 3] = UInt8(truncatingIfNeeded: p)
                bytes[i * 3 + 1] = UInt8(truncatingIfNeeded: p >> 8)
                bytes[i * 3 + 2] = UInt8(truncatingIfNeeded: p >> 16)
            }
        case .rgb24:
            let bytes = out.assumingMemoryBound(to: UInt8.self)
            for i in 0..<count {
                let p = source[i * step]
                bytes[i * 3] = UInt8(truncatingIfNeeded: p >> 16)
                bytes[i * 3 + 1] = UInt8(truncatingIfNeeded: p >> 8)
                bytes[i * 3 + 2] = UInt8(truncatingIfNeeded: p)
            }
        case nil:
            let width = format.bytesPerPixel
            let bytes = out.assumingMemoryBound(to: UInt8.self)
            for i in 0..<count {
                let value = format.pixelValue(source[i * step])
                for b in 0..<width { bytes[i * width + b] = UInt8(truncatingIfNeeded: value >> UInt64(8 * b)) }
            }
        }
    }
}
