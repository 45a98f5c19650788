import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A pseudo-terminal pair from `openpty(3)`, both sides in raw mode: the stand-in for a serial SAM reader in tests
/// and demos (DESIGN.md §6). The device under test opens ``replicaPath`` like any `/dev/ttyUSB*`; the emulator plays
/// the module on ``primary``.
///
/// The pair keeps its own replica descriptor open until ``close()`` so the primary never sees a hang-up while the
/// reader closes and reopens the path (Linux reports `EIO` on the primary when no replica is open). Closing the
/// primary is what an unplugged adapter looks like to the reader: its reads end with hang-up, and the path goes away.
public final class PseudoTerminal: Sendable {
    /// The primary (controlling, "master") side: the module's end.
    public let primary: Int32
    /// The replica side, held open by this object.
    public let replica: Int32
    /// The replica's device path (`/dev/pts/N`).
    public let replicaPath: String
    private let closed = Atomic<Bool>(false)

    /// Opens a pair and puts the line discipline in raw mode (no echo, no CR/LF translation, 8-bit clean).
    /// - Throws: ``SerialError`` for `openpty`, `tcgetattr` or `tcsetattr`.
    public init() throws(SerialError) {
        var primary: Int32 = -1
        var replica: Int32 = -1
        var name = [CChar](repeating: 0, count: 4096)
        try serialSystemCall("openpty", path: "/dev/ptmx") { openpty(&primary, &replica, &name, nil, nil) }
        _ = fcntl(primary, F_SETFD, FD_CLOEXEC)
        _ = fcntl(replica, F_SETFD, FD_CLOEXEC)
        let path = String(decoding: name.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var attributes = termios()
        do {
            try serialSystemCall("tcgetattr", path: path) { tcgetattr(replica, &attributes) }
            cfmakeraw(&attributes)
            try serialSystemCall("tcsetattr", path: path) { tcsetattr(replica, TCSANOW, &attributes) }
        } catch {
            systemClose(primary)
            systemClose(replica)
            throw error
        }
        self.primary = primary
        self.replica = replica
        self.replicaPath = path
    }

    /// Closes both descriptors (the "unplug"), once; later calls do nothing. Call it after whoever uses ``primary``
    /// has stopped.
    public func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        systemClose(primary)
        systemClose(replica)
    }
}
