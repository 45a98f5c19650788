import CLinuxShims

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A mapped framebuffer the renderer draws on: a `/dev/fbN` device, or a regular file standing in for one with a
/// given geometry (tests, previews). Everything after "where does the geometry come from" is the same code.
///
/// Drawing is off-screen first: ``present(_:)`` converts the whole image into a private buffer, compares it row by
/// row with the previous frame and copies only the rows that changed, addressed by `line_length`. Before each frame
/// it reads the geometry again; a device that answers `ENODEV` is reopened, and a geometry that changed (a boot
/// framebuffer replaced by the real driver: new `id`, `smem_start`, size or format) is mapped again and redrawn in
/// full.
///
/// Not thread-safe: one owner (``FramebufferRenderer`` is an actor). All calls are quick system calls (`open`,
/// `ioctl`, `mmap`) and memory copies.
public final class FramebufferSurface {
    /// Where the pixels go and where the geometry comes from.
    public enum Source: Sendable {
        /// A framebuffer device such as `/dev/fb0`: geometry from FBIOGET_VSCREENINFO / FBIOGET_FSCREENINFO.
        case device(path: String)
        /// A regular file of at least `smem_len` bytes, with the geometry the closure returns. It is asked before
        /// every frame, so a test can change it to play a driver replacement; throwing
        /// ``FramebufferError/Code/deviceGone`` plays a vanished device.
        case file(path: String, geometry: @Sendable () throws(FramebufferError) -> FramebufferGeometry)

        public var path: String {
            switch self {
            case .device(let path), .file(let path, _): path
            }
        }
    }

    /// What one ``present(_:)`` did.
    public struct FrameReport: Sendable, Hashable {
        /// Panel rows copied to the framebuffer (rows equal to the previous frame are skipped).
        public var rowsWritten: Int
        /// Whether the device was opened or mapped again before this frame (so every row was written).
        public var remapped: Bool

        public init(rowsWritten: Int, remapped: Bool) {
            self.rowsWritten = rowsWritten
            self.remapped = remapped
        }
    }

    public let source: Source
    public let rotation: FramebufferRotation
    /// The geometry currently mapped.
    public private(set) var geometry: FramebufferGeometry
    /// The pixel format of ``geometry``.
    public private(set) var format: PixelFormat

    private var descriptor: Int32
    private var mapping: UnsafeMutableRawPointer
    private var converter: FrameConverter
    /// The frame on the panel now, converted (packed rows), or empty after a remap.
    private var shown: [UInt8] = []
    private var scratch: [UInt8] = []
    private var remappedSinceLastFrame = true

    /// Opens and maps the source.
    /// - Throws: ``FramebufferError``: ``FramebufferError/Code/systemCall`` (open, ioctl, fstat, mmap, with errno),
    ///   ``FramebufferError/Code/deviceGone`` (ENOENT, ENODEV, ENXIO), ``FramebufferError/Code/fileTooShort``, or
    ///   any geometry code from ``FramebufferGeometry/validate()``.
    public init(source: Source, rotation: FramebufferRotation = .none) throws(FramebufferError) {
        self.source = source
        self.rotation = rotation
        let opened = try Self.open(source)
        descriptor = opened.descriptor
        geometry = opened.geometry
        format = opened.format
        mapping = opened.mapping
        converter = FrameConverter(
            format: opened.format, rotation: rotation, panelWidth: opened.geometry.xres,
            panelHeight: opened.geometry.yres)
    }

    deinit { unmapAndClose() }

    /// The size the image for ``present(_:)`` must have: the panel's, with width and height swapped for 90°/270°.
    public var imageSize: (width: Int, height: Int) { converter.imageSize }

    /// Reads the geometry again and maps anew if it changed or the device is gone and back.
    /// - Returns: whether anything changed (then the next frame writes every row, and ``imageSize`` may differ).
    /// - Throws: as ``init(source:rotation:)`` when the device cannot be opened again.
    @discardableResult
    public func refresh() throws(FramebufferError) -> Bool {
        guard descriptor >= 0 else {
            try reopen()
            return true
        }
        let current: FramebufferGeometry
        do {
            current = try Self.readGeometry(source, descriptor: descriptor)
        } catch where error.code == .deviceGone {
            try reopen()
            return true
        }
        guard current != geometry else { return false }
        try reopen()
        return true
    }

    /// Draws `image` as one frame: converts it off-screen, then copies the rows that differ from the frame shown.
    /// - Throws: ``FramebufferError/Code/imageSizeMismatch`` if `image` is not ``imageSize``; errors of
    ///   ``refresh()``. Nothing is written to the panel when it throws.
    @discardableResult
    public func present(_ image: RasterImage) throws(FramebufferError) -> FrameReport {
        try refresh()
        let (width, height) = imageSize
        guard image.width == width, image.height == height else {
            throw FramebufferError(
                code: .imageSizeMismatch,
                message: "image is \(image.width)x\(image.height), the panel (\(rotation)) needs \(width)x\(height)")
        }
        let rowBytes = converter.rowBytes
        let rows = geometry.yres
        if scratch.count != rowBytes * rows { scratch = [UInt8](repeating: 0, count: rowBytes * rows) }
        scratch.withUnsafeMutableBytes { converter.convert(image, into: $0) }
        var written = 0
        let comparePrevious = shown.count == scratch.count
        let target = mapping + geometry.visibleOffset
        let lineLength = geometry.lineLength
        scratch.withUnsafeBytes { next in
            shown.withUnsafeBytes { previous in
                for row in 0..<rows {
                    let offset = row * rowBytes
                    if comparePrevious && memcmp(next.baseAddress! + offset, previous.baseAddress! + offset, rowBytes) == 0 {
                        continue
                    }
                    memcpy(target + row * lineLength, next.baseAddress! + offset, rowBytes)
                    written += 1
                }
            }
        }
        swap(&shown, &scratch)
        let remapped = remappedSinceLastFrame
        remappedSinceLastFrame = false
        return FrameReport(rowsWritten: written, remapped: remapped)
    }

    /// Forgets the frame shown, so the next ``present(_:)`` writes every row (after something else drew on the
    /// panel, e.g. the console before KD_GRAPHICS).
    public func invalidate() { shown = [] }

    /// `ioctl(FBIOBLANK, FB_BLANK_UNBLANK)`: wakes a blanked panel (console blanking, or the blank that switching
    /// to KD_GRAPHICS does). A file has nothing to unblank.
    /// - Throws: ``FramebufferError/Code/systemCall`` when the driver refuses (some have no blanking: harmless).
    public func unblank() throws(FramebufferError) {
        guard case .device = source else { return }
        if CLinuxShims_ioctl_int(descriptor, UInt(FBIOBLANK), Int32(FB_BLANK_UNBLANK)) != 0 {
            throw FramebufferError(
                code: .systemCall, message: "ioctl(FBIOBLANK, FB_BLANK_UNBLANK) on \(source.path)", errno: errno)
        }
    }

    // MARK: - Opening and mapping

    private func reopen() throws(FramebufferError) {
        unmapAndClose()
        let opened = try Self.open(source)
        descriptor = opened.descriptor
        geometry = opened.geometry
        format = opened.format
        mapping = opened.mapping
        converter = FrameConverter(
            format: opened.format, rotation: rotation, panelWidth: opened.geometry.xres,
            panelHeight: opened.geometry.yres)
        shown = []
        scratch = []
        remappedSinceLastFrame = true
    }

    private func unmapAndClose() {
        if descriptor >= 0 {
            munmap(mapping, geometry.smemLength)
            close(descriptor)
            descriptor = -1
        }
    }

    private static func open(_ source: Source) throws(FramebufferError) -> (
        descriptor: Int32, geometry: FramebufferGeometry, format: PixelFormat, mapping: UnsafeMutableRawPointer
    ) {
        let fd = Glibc.open(source.path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            let gone = code == ENOENT || code == ENODEV || code == ENXIO
            throw FramebufferError(code: gone ? .deviceGone : .systemCall, message: "open(\(source.path))", errno: code)
        }
        do throws(FramebufferError) {
            let geometry = try readGeometry(source, descriptor: fd)
            let format = try geometry.validate()
            if case .file = source {
                var status = stat()
                guard fstat(fd, &status) == 0 else {
                    throw FramebufferError(code: .systemCall, message: "fstat(\(source.path))", errno: errno)
                }
                guard Int(status.st_size) >= geometry.smemLength else {
                    throw FramebufferError(
                        code: .fileTooShort,
                        message: "\(source.path) has \(status.st_size) bytes, smem_len is \(geometry.smemLength)")
                }
            }
            let mapped = mmap(nil, geometry.smemLength, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
            guard let mapped, mapped != MAP_FAILED else {
                throw FramebufferError(
                    code: .systemCall, message: "mmap(\(geometry.smemLength) bytes of \(source.path))", errno: errno)
            }
            return (fd, geometry, format, mapped)
        } catch {
            close(fd)
            throw error
        }
    }

    /// The geometry now: from the kernel for a device, from the closure for a file.
    static func readGeometry(_ source: Source, descriptor: Int32) throws(FramebufferError) -> FramebufferGeometry {
        switch source {
        case .file(_, let geometry):
            return try geometry()
        case .device(let path):
            var variable = fb_var_screeninfo()
            var fixed = fb_fix_screeninfo()
            if CLinuxShims_ioctl_ptr(descriptor, UInt(FBIOGET_VSCREENINFO), &variable) != 0 {
                throw ioctlError("FBIOGET_VSCREENINFO", path: path)
            }
            if CLinuxShims_ioctl_ptr(descriptor, UInt(FBIOGET_FSCREENINFO), &fixed) != 0 {
                throw ioctlError("FBIOGET_FSCREENINFO", path: path)
            }
            return FramebufferGeometry(variable: variable, fixed: fixed)
        }
    }

    private static func ioctlError(_ request: String, path: String) -> FramebufferError {
        let code = errno
        let hint = code == ENOTTY || code == EINVAL ? " (not a framebuffer device?)" : ""
        return FramebufferError(
            code: code == ENODEV ? .deviceGone : .systemCall, message: "ioctl(\(request)) on \(path)\(hint)",
            errno: code)
    }
}

extension FramebufferGeometry {
    /// The geometry the kernel reports (linux/fb.h `struct fb_var_screeninfo`, `struct fb_fix_screeninfo`).
    init(variable v: fb_var_screeninfo, fixed f: fb_fix_screeninfo) {
        let id = withUnsafeBytes(of: f.id) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        func field(_ b: fb_bitfield) -> FramebufferBitfield {
            FramebufferBitfield(offset: Int(b.offset), length: Int(b.length), msbRight: b.msb_right != 0)
        }
        self.init(
            id: id, smemStart: UInt(f.smem_start), smemLength: Int(f.smem_len), lineLength: Int(f.line_length),
            xres: Int(v.xres), yres: Int(v.yres), xresVirtual: Int(v.xres_virtual), yresVirtual: Int(v.yres_virtual),
            xoffset: Int(v.xoffset), yoffset: Int(v.yoffset), bitsPerPixel: Int(v.bits_per_pixel),
            red: field(v.red), green: field(v.green), blue: field(v.blue), transp: field(v.transp))
    }
}
