#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Why a framebuffer cannot be drawn on: a geometry the renderer cannot use, or a system call that failed.
///
/// Equality compares ``code`` only, so a test writes `#expect(throws: FramebufferError(code: .geometryExceedsMemory))`.
/// The ``message`` says which values disagree and what to check.
public struct FramebufferError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, as an open set of codes.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable, Hashable {
            case unsupportedBitsPerPixel, unsupportedBitfields, strideTooShort, geometryExceedsMemory
            case emptyGeometry, fileTooShort, systemCall, deviceGone, imageSizeMismatch, notAConsole
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// `bits_per_pixel` is not 16, 24 or 32.
        public static let unsupportedBitsPerPixel = Code(.unsupportedBitsPerPixel)
        /// A red/green/blue bitfield is empty, overlaps another, does not fit in the pixel, or has `msb_right` set.
        public static let unsupportedBitfields = Code(.unsupportedBitfields)
        /// `line_length` is shorter than the visible row (`(xoffset + xres)` × bytes per pixel).
        public static let strideTooShort = Code(.strideTooShort)
        /// The rows the renderer writes (`yres_virtual` or `yoffset + yres`, × `line_length`) do not fit in `smem_len`.
        public static let geometryExceedsMemory = Code(.geometryExceedsMemory)
        /// `xres`, `yres`, `line_length` or `smem_len` is 0.
        public static let emptyGeometry = Code(.emptyGeometry)
        /// A file standing in for the device is shorter than `smem_len`.
        public static let fileTooShort = Code(.fileTooShort)
        /// `open`, `ioctl`, `mmap` or `fstat` failed; ``FramebufferError/errno`` has the reason.
        public static let systemCall = Code(.systemCall)
        /// The device answered `ENODEV` (its driver was unbound or replaced) or its node is gone.
        public static let deviceGone = Code(.deviceGone)
        /// The image handed to the surface is not the surface's logical size.
        public static let imageSizeMismatch = Code(.imageSizeMismatch)
        /// `KDSETMODE` was refused with ENOTTY/EINVAL: the tty is not a Linux virtual console (a pty, a file).
        public static let notAConsole = Code(.notAConsole)

        public var description: String { value.rawValue }
    }

    public var code: Code
    /// What happened, with the values involved.
    public var message: String
    /// `errno` for ``Code/systemCall`` and ``Code/deviceGone``.
    public var errno: Int32?

    public init(code: Code, message: String = "", errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
    }

    public var description: String {
        var text = "framebuffer \(code): \(message)"
        if let errno { text += ": \(String(cString: strerror(errno))) (errno \(errno))" }
        return text
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
