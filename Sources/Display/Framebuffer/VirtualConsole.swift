import CLinuxShims

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The Linux virtual console the kiosk draws over, switched to graphics mode while the renderer runs.
///
/// In `KD_TEXT` mode fbcon keeps drawing its cursor and kernel messages into the framebuffer; `KDSETMODE
/// KD_GRAPHICS` (linux/kd.h) stops that (and blanks the screen if the VT is in the foreground, so unblank after it).
/// ``restoreText()`` switches back; crash signals switch back too, from a handler that only calls `ioctl` on the
/// saved descriptor before handing the signal to whatever handled it before (the Swift backtracer, a core dump).
///
/// Not thread-safe: one owner.
public final class VirtualConsole {
    /// Signals after which the process cannot continue: the handler restores text mode and re-raises them.
    public static let crashSignals: [Int32] = [SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE]
    /// For programs without their own SIGTERM handling. `kioskd` leaves SIGTERM to its graceful shutdown (which
    /// calls ``restoreText()``), so the last frame stays up while the shutdown finishes.
    public static let terminationSignals: [Int32] = [SIGTERM]

    /// The console device, e.g. `/dev/tty1`.
    public let path: String
    private var descriptor: Int32
    public private(set) var inGraphicsMode = false

    /// Opens the console: `path`, or else the foreground VT, found with `VT_GETSTATE` on `/dev/tty0` and opened as
    /// `/dev/ttyN` so that text mode goes back to that VT even if another comes to the foreground. Opened write-only:
    /// ioctls work on any open descriptor, and `/dev/ttyN` (root:tty, 0620) lets the `tty` group write only.
    /// KDSETMODE itself needs CAP_SYS_TTY_CONFIG unless the VT is the process's controlling terminal.
    /// - Throws: ``FramebufferError/Code/systemCall`` with errno (ENOENT: no such console; EACCES: not in the `tty`
    ///   group; ENOTTY from VT_GETSTATE: `/dev/tty0` is not a VT).
    public init(path: String? = nil) throws(FramebufferError) {
        var resolved = path ?? ""
        if path == nil {
            let console = Glibc.open("/dev/tty0", O_WRONLY | O_NOCTTY | O_CLOEXEC)
            guard console >= 0 else {
                throw FramebufferError(code: .systemCall, message: "open(/dev/tty0) to find the foreground VT", errno: errno)
            }
            defer { close(console) }
            var state = vt_stat()
            guard CLinuxShims_ioctl_ptr(console, UInt(VT_GETSTATE), &state) == 0 else {
                throw FramebufferError(code: .systemCall, message: "ioctl(VT_GETSTATE) on /dev/tty0", errno: errno)
            }
            resolved = "/dev/tty\(state.v_active)"
        }
        let fd = Glibc.open(resolved, O_WRONLY | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else {
            throw FramebufferError(code: .systemCall, message: "open(\(resolved))", errno: errno)
        }
        self.path = resolved
        descriptor = fd
    }

    deinit {
        if inGraphicsMode { restoreText() }
        close(descriptor)
    }

    /// `ioctl(KDSETMODE, KD_GRAPHICS)`, then arms the handler for `signals` so a crash puts `KD_TEXT` back.
    /// - Throws: ``FramebufferError/Code/notAConsole`` (errno ENOTTY or EINVAL: the descriptor is a pty, a serial
    ///   line or a file, not a VT) or ``FramebufferError/Code/systemCall``. The caller can draw anyway: fbcon's
    ///   cursor may then show through. Nothing is armed when it throws.
    public func enterGraphicsMode(restoringOn signals: [Int32] = VirtualConsole.crashSignals) throws(FramebufferError) {
        guard CLinuxShims_ioctl_int(descriptor, UInt(KDSETMODE), Int32(KD_GRAPHICS)) == 0 else {
            let code = errno
            let hint = code == EPERM ? " (needs CAP_SYS_TTY_CONFIG, or the VT as controlling terminal)" : ""
            throw FramebufferError(
                code: code == ENOTTY || code == EINVAL ? .notAConsole : .systemCall,
                message: "ioctl(KDSETMODE, KD_GRAPHICS) on \(path)\(hint)", errno: code)
        }
        inGraphicsMode = true
        let armed = signals.withUnsafeBufferPointer { list in
            CLinuxShims_console_restore_arm(descriptor, list.baseAddress, Int32(list.count))
        }
        if armed != 0 {
            let code = errno
            restoreText()
            throw FramebufferError(code: .systemCall, message: "sigaction for the console restore handler", errno: code)
        }
    }

    /// `ioctl(KDSETMODE, KD_TEXT)` and the crash handlers disarmed. Safe to call more than once.
    public func restoreText() {
        CLinuxShims_console_restore_disarm()
        guard inGraphicsMode else { return }
        _ = CLinuxShims_ioctl_int(descriptor, UInt(KDSETMODE), Int32(KD_TEXT))
        inGraphicsMode = false
    }
}
