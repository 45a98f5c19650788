/// One colour channel's place in a pixel value: linux/fb.h `struct fb_bitfield`.
///
/// `offset` counts bits from the least significant bit of the `bits_per_pixel`-wide pixel value as the CPU reads
/// it (little-endian here), `length` is the channel's width in bits.
public struct FramebufferBitfield: Sendable, Hashable, CustomStringConvertible {
    public var offset: Int
    public var length: Int
    /// `msb_right`: the channel's most significant bit is on the right. No common driver sets it; unsupported.
    public var msbRight: Bool

    public init(offset: Int, length: Int, msbRight: Bool = false) {
        self.offset = offset
        self.length = length
        self.msbRight = msbRight
    }

    public var description: String { "\(offset)/\(length)\(msbRight ? "/msb-right" : "")" }
}

/// What the renderer needs from linux/fb.h `struct fb_var_screeninfo` (FBIOGET_VSCREENINFO) and
/// `struct fb_fix_screeninfo` (FBIOGET_FSCREENINFO), under the kernel's field names.
///
/// Sizes are in pixels unless named in bytes (`lineLength`, `smemLength`). Two geometries that differ in any field
/// are two different devices to the renderer: it unmaps, maps again and redraws everything.
public struct FramebufferGeometry: Sendable, Hashable, CustomStringConvertible {
    /// `fix.id`, the driver's name (e.g. "simple", "vc4drmfb", "EFI VGA").
    public var id: String
    /// `fix.smem_start`: physical start of the framebuffer memory; changes when the driver is replaced.
    public var smemStart: UInt
    /// `fix.smem_len`: bytes of framebuffer memory, the most that can be mapped.
    public var smemLength: Int
    /// `fix.line_length`: bytes from one row to the next (the stride), at least `xres` × bytes per pixel.
    public var lineLength: Int
    /// `var.xres`, `var.yres`: the visible panel, in pixels.
    public var xres: Int
    public var yres: Int
    /// `var.xres_virtual`, `var.yres_virtual`: the virtual screen the visible one pans over.
    public var xresVirtual: Int
    public var yresVirtual: Int
    /// `var.xoffset`, `var.yoffset`: where the visible panel starts in the virtual screen.
    public var xoffset: Int
    public var yoffset: Int
    /// `var.bits_per_pixel`: 16, 24 or 32 are supported.
    public var bitsPerPixel: Int
    /// `var.red`, `var.green`, `var.blue`, `var.transp`.
    public var red: FramebufferBitfield
    public var green: FramebufferBitfield
    public var blue: FramebufferBitfield
    public var transp: FramebufferBitfield

    public init(
        id: String = "file", smemStart: UInt = 0, smemLength: Int, lineLength: Int, xres: Int, yres: Int,
        xresVirtual: Int? = nil, yresVirtual: Int? = nil, xoffset: Int = 0, yoffset: Int = 0, bitsPerPixel: Int,
        red: FramebufferBitfield, green: FramebufferBitfield, blue: FramebufferBitfield,
        transp: FramebufferBitfield = FramebufferBitfield(offset: 0, length: 0)
    ) {
        self.id = id
        self.smemStart = smemStart
        self.smemLength = smemLength
        self.lineLength = lineLength
        self.xres = xres
        self.yres = yres
        self.xresVirtual = xresVirtual ?? xres
        self.yresVirtual = yresVirtual ?? yres
        self.xoffset = xoffset
        self.yoffset = yoffset
        self.bitsPerPixel = bitsPerPixel
        self.red = red
        self.green = green
        self.blue = blue
        self.transp = transp
    }

    /// A tightly described geometry for a common format, as a driver would report it: `lineLength` defaults to
    /// `xres` × bytes per pixel, `smemLength` to `lineLength` × `yres`.
    public static func packed(
        _ format: PixelFormat.Known, xres: Int, yres: Int, lineLength: Int? = nil, smemLength: Int? = nil
    ) -> FramebufferGeometry {
        let layout = format.layout
        let stride = lineLength ?? xres * layout.bitsPerPixel / 8
        return FramebufferGeometry(
            smemLength: smemLength ?? stride * yres, lineLength: stride, xres: xres, yres: yres,
            bitsPerPixel: layout.bitsPerPixel, red: layout.red, green: layout.green, blue: layout.blue,
            transp: layout.transp)
    }

    /// Bytes per pixel (`bits_per_pixel / 8`).
    public var bytesPerPixel: Int { bitsPerPixel / 8 }

    /// Byte offset in the mapping of the visible panel's first pixel: `yoffset × line_length + xoffset × bytes`.
    public var visibleOffset: Int { yoffset * lineLength + xoffset * bytesPerPixel }

    /// Checks that every byte the renderer will write lies inside `smem_len` and that the pixel layout is one it
    /// can write; returns that layout.
    /// - Throws: ``FramebufferError`` with ``FramebufferError/Code/emptyGeometry``,
    ///   ``FramebufferError/Code/unsupportedBitsPerPixel``, ``FramebufferError/Code/unsupportedBitfields``,
    ///   ``FramebufferError/Code/strideTooShort`` or ``FramebufferError/Code/geometryExceedsMemory``.
    public func validate() throws(FramebufferError) -> PixelFormat {
        guard xres > 0, yres > 0, lineLength > 0, smemLength > 0 else {
            throw FramebufferError(
                code: .emptyGeometry,
                message: "xres \(xres), yres \(yres), line_length \(lineLength), smem_len \(smemLength): none may be 0")
        }
        let format = try PixelFormat(
            bitsPerPixel: bitsPerPixel, red: red, green: green, blue: blue, transp: transp)
        let rowBytes = (xoffset + xres) * bytesPerPixel
        guard lineLength >= rowBytes else {
            throw FramebufferError(
                code: .strideTooShort,
                message: "line_length \(lineLength) bytes < (xoffset \(xoffset) + xres \(xres)) × \(bytesPerPixel) bytes "
                    + "= \(rowBytes)")
        }
        let visibleEnd = (yoffset + yres - 1) * lineLength + rowBytes
        guard visibleEnd <= smemLength else {
            throw FramebufferError(
                code: .geometryExceedsMemory,
                message: "visible rows end at byte \(visibleEnd) (yoffset \(yoffset) + yres \(yres) rows × line_length "
                    + "\(lineLength)) but smem_len is \(smemLength)")
        }
        let virtualEnd = (max(yresVirtual, 1) - 1) * lineLength + rowBytes
        guard virtualEnd <= smemLength else {
            throw FramebufferError(
                code: .geometryExceedsMemory,
                message: "yres_virtual \(yresVirtual) rows × line_length \(lineLength) end at byte \(virtualEnd) "
                    + "but smem_len is \(smemLength)")
        }
        return format
    }

    public var description: String {
        "\(id) \(xres)x\(yres) (virtual \(xresVirtual)x\(yresVirtual) at \(xoffset),\(yoffset)) \(bitsPerPixel) bpp "
            + "r \(red) g \(green) b \(blue) a \(transp), line_length \(lineLength), smem_len \(smemLength)"
    }
}
