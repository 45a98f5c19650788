import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A small tmpfs mounted for one test (root: `CAP_SYS_ADMIN`): a kiosk state directory whose disk the test fills to
/// the last byte (``fill(_:)``) and empties again (``free(_:)``), for the full-disk rows of the fault matrix.
public struct SmallTmpfs: Sendable {
    /// The mount point: an existing, empty directory.
    public let path: String

    /// Mounts a tmpfs of `size` (a `mount -o size=` value) on `path` with mode 0700.
    /// - Throws: when `mount(2)` fails (not root, no such directory).
    public init(mountingAt path: String, size: String = "2m") throws {
        guard "size=\(size),mode=0700".withCString({ mount("tmpfs", path, "tmpfs", 0, $0) }) == 0 else {
            throw SmallTmpfsError(description: "mount -t tmpfs on \(path) failed: errno \(errno)")
        }
        self.path = path
    }

    /// Detaches the mount (`MNT_DETACH`: files still open elsewhere keep it alive until closed).
    public func unmount() { umount2(path, 2) }

    /// Writes the file `name` in the mount until the file system refuses (64 KiB, then 4 KiB, then single bytes), so
    /// not one block is left. Returns the bytes written. Blocking (a few milliseconds on tmpfs).
    @discardableResult
    public func fill(_ name: String = "filler") -> Int {
        Self.fill(path + "/" + name)
    }

    /// Deletes the file ``fill(_:)`` wrote: the space returns.
    public func free(_ name: String = "filler") { unlink(path + "/" + name) }

    /// Writes to `path` until the file system refuses (64 KiB, then 4 KiB, then single bytes). Returns the bytes.
    public static func fill(_ path: String) -> Int {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var total = 0
        for size in [65536, 4096, 1] {
            let chunk = [UInt8](repeating: 0x5A, count: size)
            while true {
                let n = chunk.withUnsafeBytes { write(fd, $0.baseAddress, size) }
                if n <= 0 { break }
                total += n
            }
        }
        return total
    }
}

/// ``SmallTmpfs`` could not be mounted.
public struct SmallTmpfsError: Error, CustomStringConvertible {
    public var description: String
}
