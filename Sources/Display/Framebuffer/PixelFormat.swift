/// How one pixel is stored in framebuffer memory: `bits_per_pixel` and the red, green, blue and transparency
/// bitfields of linux/fb.h `struct fb_var_screeninfo`, with a fast path chosen once for the common formats.
///
/// Channels of a ``RasterImage`` pixel (8 bits each) are cut to a bitfield's `length` by dropping low bits
/// (RGB565 keeps the top 5/6/5 bits) and widened by repeating the high bits when `length` exceeds 8 (e.g. 10-bit
/// channels). A `transp` bitfield with a non-zero length is written all ones (opaque). The pixel value is stored
/// least significant byte first, as the kernel's packed-pixel formats are on little-endian machines.
public struct PixelFormat: Sendable, Hashable, CustomStringConvertible {
    /// Formats with their own fast path. Offsets are bit positions in the pixel value (linux/fb.h terms);
    /// the byte order in memory follows from little-endian storage.
    public enum Known: String, Sendable, Hashable, CaseIterable {
        /// 16 bpp, red 11/5, green 5/6, blue 0/5.
        case rgb565
        /// 16 bpp, red 0/5, green 5/6, blue 11/5.
        case bgr565
        /// 24 bpp, red 16/8, green 8/8, blue 0/8: bytes B, G, R in memory.
        case bgr24
        /// 24 bpp, red 0/8, green 8/8, blue 16/8: bytes R, G, B in memory.
        case rgb24
        /// 32 bpp, red 16/8, green 8/8, blue 0/8, no alpha: bytes B, G, R, 0.
        case xrgb8888
        /// 32 bpp, red 0/8, green 8/8, blue 16/8, no alpha: bytes R, G, B, 0.
        case xbgr8888
        /// 32 bpp, as ``xrgb8888`` with transp 24/8 written 0xFF.
        case argb8888

        /// The bitfields of this format.
        public var layout: (
            bitsPerPixel: Int, red: FramebufferBitfield, green: FramebufferBitfield, blue: FramebufferBitfield,
            transp: FramebufferBitfield
        ) {
            func f(_ offset: Int, _ length: Int) -> FramebufferBitfield {
                FramebufferBitfield(offset: offset, length: length)
            }
            switch self {
            case .rgb565: return (16, f(11, 5), f(5, 6), f(0, 5), f(0, 0))
            case .bgr565: return (16, f(0, 5), f(5, 6), f(11, 5), f(0, 0))
            case .bgr24: return (24, f(16, 8), f(8, 8), f(0, 8), f(0, 0))
            case .rgb24: return (24, f(0, 8), f(8, 8), f(16, 8), f(0, 0))
            case .xrgb8888: return (32, f(16, 8), f(8, 8), f(0, 8), f(0, 0))
            case .xbgr8888: return (32, f(0, 8), f(8, 8), f(16, 8), f(0, 0))
            case .argb8888: return (32, f(16, 8), f(8, 8), f(0, 8), f(24, 8))
            }
        }
    }

    public let bitsPerPixel: Int
    public let red: FramebufferBitfield
    public let green: FramebufferBitfield
    public let blue: FramebufferBitfield
    public let transp: FramebufferBitfield
    /// The fast path, or `nil` when every pixel goes through the general bitfield converter.
    public let known: Known?

    /// Bytes per pixel in memory.
    public var bytesPerPixel: Int { bitsPerPixel / 8 }

    /// - Throws: ``FramebufferError/Code/unsupportedBitsPerPixel`` unless `bitsPerPixel` is 16, 24 or 32;
    ///   ``FramebufferError/Code/unsupportedBitfields`` when a colour channel is empty, longer than 16 bits,
    ///   outside the pixel, overlaps another channel, or has `msb_right` set.
    public init(
        bitsPerPixel: Int, red: FramebufferBitfield, green: FramebufferBitfield, blue: FramebufferBitfield,
        transp: FramebufferBitfield = FramebufferBitfield(offset: 0, length: 0)
    ) throws(FramebufferError) {
        guard [16, 24, 32].contains(bitsPerPixel) else {
            throw FramebufferError(
                code: .unsupportedBitsPerPixel,
                message: "bits_per_pixel \(bitsPerPixel) is not supported (16, 24 or 32 are)")
        }
        var used: UInt64 = 0
        let channels = [("red", red, true), ("green", green, true), ("blue", blue, true), ("transp", transp, false)]
        for (name, field, required) in channels {
            if !required && field.length == 0 { continue }
            guard field.length > 0, field.length <= 16, field.offset >= 0, field.offset + field.length <= bitsPerPixel,
                !field.msbRight
            else {
                throw FramebufferError(
                    code: .unsupportedBitfields,
                    message: "\(name) bitfield \(field) does not fit a \(bitsPerPixel)-bit pixel (or msb_right is set)")
            }
            let mask = ((UInt64(1) << UInt64(field.length)) - 1) << UInt64(field.offset)
            guard used & mask == 0 else {
                throw FramebufferError(
                    code: .unsupportedBitfields, message: "\(name) bitfield \(field) overlaps another channel")
            }
            used |= mask
        }
        self.bitsPerPixel = bitsPerPixel
        self.red = red
        self.green = green
        self.blue = blue
        self.transp = transp
        known = Known.allCases.first { known in
            let layout = known.layout
            return layout.bitsPerPixel == bitsPerPixel && layout.red == red && layout.green == green
                && layout.blue == blue && layout.transp.length == transp.length
                && (transp.length == 0 || layout.transp == transp)
        }
    }

    /// The format of a known layout (never throws: those layouts are valid).
    public init(_ known: Known) {
        let layout = known.layout
        self = try! PixelFormat(
            bitsPerPixel: layout.bitsPerPixel, red: layout.red, green: layout.green, blue: layout.blue,
            transp: layout.transp)
    }

    public var description: String {
        known.map { "\($0.rawValue)" } ?? "\(bitsPerPixel) bpp r \(red) g \(green) b \(blue) a \(transp)"
    }

    // MARK: - One pixel, through the bitfields

    /// The pixel value for `rgb` (`0x00RRGGBB`), computed from the bitfields; the general path, and the reference
    /// the fast paths agree with.
    public func pixelValue(_ rgb: UInt32) -> UInt64 {
        let r = (rgb >> 16) & 0xFF
        let g = (rgb >> 8) & 0xFF
        let b = rgb & 0xFF
        var value = Self.scale(r, to: red) | Self.scale(g, to: green) | Self.scale(b, to: blue)
        if transp.length > 0 {
            value |= ((UInt64(1) << UInt64(transp.length)) - 1) << UInt64(transp.offset)
        }
        return value
    }

    /// The `0x00RRGGBB` colour a pixel value shows: each channel widened back to 8 bits by repeating its bits
    /// (so 5-bit 0x1F reads 0xFF). Tests read framebuffer memory back with it.
    public func rgb(fromPixelValue value: UInt64) -> UInt32 {
        func channel(_ field: FramebufferBitfield) -> UInt32 {
            let raw = UInt32((value >> UInt64(field.offset)) & ((UInt64(1) << UInt64(field.length)) - 1))
            if field.length >= 8 { return raw >> UInt32(field.length - 8) }
            var widened: UInt32 = 0
            var filled = 0
            while filled < 8 {
                widened = (widened << UInt32(field.length)) | raw
                filled += field.length
            }
            return widened >> UInt32(filled - 8)
        }
        return channel(red) << 16 | channel(green) << 8 | channel(blue)
    }

    @inline(__always)
    private static func scale(_ channel: UInt32, to field: FramebufferBitfield) -> UInt64 {
        let length = field.length
        let scaled: UInt32
        if length <= 8 {
            scaled = channel >> UInt32(8 - length)
        } else {
            var widened = channel
            var filled = 8
            while filled < length {
                widened = (widened << 8) | channel
                filled += 8
            }
            scaled = widened >> UInt32(filled - length)
        }
        return UInt64(scaled) << UInt64(field.offset)
    }
}
