import Foundation
import SmartCard
public import VirtualCard
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One private pcscd with the vpcd driver for this test process (DESIGN.md §6, platform.md §3).
///
/// pcsc-lite's client library reads `PCSCLITE_CSOCK_NAME` once per process, so every PC/SC test in a process shares
/// one pcscd: ``shared()`` starts it on first use and returns the same harness afterwards. pcscd 1.9.9 ignores that
/// variable and always binds `/run/pcscd/pcscd.comm`, so it runs in its own mount namespace where a temporary
/// directory is bind-mounted over `/run/pcscd`:
///
/// ```
/// unshare --mount --propagation private /bin/sh -c \
///   "mount --bind $TMP/run /run/pcscd && <hide USB driver bundles> && exec pcscd --foreground -c $TMP/reader.conf"
/// ```
///
/// The system pcscd, if any, is never touched, and the USB driver bundles (`/usr/lib/pcsc/drivers/*.bundle`) are
/// hidden inside the namespace so this pcscd never claims a real reader. vpcd serves two readers:
/// ``readerNames``[0] on TCP ``port`` and [1] on `port + 1`; put cards in them with ``slot(_:)``.
///
/// Requirements: root (for `unshare --mount`), `unshare`, `/usr/sbin/pcscd`, the vpcd driver. Without them tests
/// should skip outside CI and fail in CI: guard suites with ``isEnabled`` (`.enabled(if: PCSCDHarness.isEnabled)`),
/// then call ``shared()``, which throws the reason when the harness cannot run.
///
/// ```swift
/// @Suite(.serialized, .enabled(if: PCSCDHarness.isEnabled, "needs root, pcscd and vpcd"))
/// struct MyPCSCTests {
///     @Test func tap() async throws {
///         let harness = try PCSCDHarness.shared()
///         let slot = harness.slot(0)
///         try slot.insert(MyImage())
///         defer { slot.remove() }
///         …
///     }
/// }
/// ```
public final class PCSCDHarness: Sendable {
    /// reader.conf's `FRIENDLYNAME`; pcscd appends " 00 00" / " 00 01".
    public static let friendlyName = "Kiosk Test PCD"
    /// The vpcd driver pcscd loads.
    public static let driverPath = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
    static let pcscdPath = "/usr/sbin/pcscd"
    static let unsharePath = "/usr/bin/unshare"

    /// The temporary directory: `run/` (pcscd's socket and pid file), `reader.conf`, `pcscd.log`.
    public let directory: String
    /// vpcd's TCP port for the first reader; the second is `port + 1`.
    public let port: Int
    /// `"Kiosk Test PCD 00 00"` (TCP ``port``) and `"Kiosk Test PCD 00 01"` (`port + 1`).
    public let readerNames: [String]
    /// `$directory/run/pcscd.comm`, the value of `PCSCLITE_CSOCK_NAME` in this process.
    public var socketPath: String { directory + "/run/pcscd.comm" }
    /// pcscd's stdout and stderr (set `KIOSK_PCSCD_DEBUG=1` for `--debug --apdu`, and `KIOSK_PCSCD_KEEP=1` to keep
    /// the directory after the process exits).
    public var logPath: String { directory + "/pcscd.log" }

    private let process = Mutex<Process?>(nil)

    // MARK: shared instance

    private static let sharedHarness = Mutex<Result<PCSCDHarness, HarnessError>?>(nil)

    /// The process's harness, started on first call (blocking until pcscd lists both readers, normally well under a
    /// second). Later calls return the same one; if it was ``stop()``ped they return it stopped.
    /// - Throws: ``HarnessError`` when the prerequisites are missing or pcscd did not come up (the same error on every
    ///   later call).
    public static func shared() throws(HarnessError) -> PCSCDHarness {
        let result = sharedHarness.withLock { cached -> Result<PCSCDHarness, HarnessError> in
            if let cached { return cached }
            let made = Result { () throws(HarnessError) -> PCSCDHarness in
                if case .unavailable(let reason) = availability { throw HarnessError(reason) }
                let harness = try PCSCDHarness()
                try harness.start()
                return harness
            }
            cached = made
            return made
        }
        return try result.get()
    }

    // MARK: availability

    /// Whether this machine can run the harness.
    public enum Availability: Sendable, Equatable {
        case available
        case unavailable(String)
    }

    /// Checked once per process: root, `unshare`, `pcscd`, the vpcd driver.
    public static let availability: Availability = {
        if geteuid() != 0 { return .unavailable("not root (unshare --mount needs CAP_SYS_ADMIN)") }
        let fm = FileManager.default
        for path in [unsharePath, pcscdPath, "/bin/sh", driverPath] where !fm.fileExists(atPath: path) {
            return .unavailable("\(path) is missing")
        }
        return .available
    }()

    /// Whether the environment says this is CI (`CI` set and not `false`/`0`): there, missing prerequisites fail.
    public static var isCI: Bool {
        guard let value = ProcessInfo.processInfo.environment["CI"]?.lowercased(), !value.isEmpty else { return false }
        return value != "false" && value != "0"
    }

    /// `true` when PC/SC tests should run: the harness is available, or this is CI (so that ``shared()`` fails the
    /// tests instead of skipping them). When `false`, prints why to stderr (once).
    public static var isEnabled: Bool {
        if availability == .available || isCI { return true }
        if case .unavailable(let reason) = availability, !skipReported.exchange(true, ordering: .relaxed) {
            FileHandle.standardError.write(Data("PCSCDHarness: skipping PC/SC tests: \(reason)\n".utf8))
        }
        return false
    }

    private static let skipReported = Atomic<Bool>(false)

    // MARK: lifecycle

    private init() throws(HarnessError) {
        var template = Array("/tmp/kiosk-pcscd-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw HarnessError("mkdtemp failed: errno \(errno)") }
        directory = String(cString: made)
        port = try Self.twoFreePorts()
        readerNames = ["\(Self.friendlyName) 00 00", "\(Self.friendlyName) 00 01"]

        // Must precede the first PC/SC call in this process (pcsc-lite reads it once).
        setenv("PCSCLITE_CSOCK_NAME", directory + "/run/pcscd.comm", 1)

        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: directory + "/run", withIntermediateDirectories: true)
            try fm.createDirectory(atPath: directory + "/empty", withIntermediateDirectories: true)
            try fm.createDirectory(atPath: "/run/pcscd", withIntermediateDirectories: true)
            let conf = """
                # Written by PCSCDHarness for one test process.
                FRIENDLYNAME "\(Self.friendlyName)"
                DEVICENAME /dev/null:\(port)
                LIBPATH \(Self.driverPath)
                CHANNELID \(port)

                """
            try conf.write(toFile: directory + "/reader.conf", atomically: true, encoding: .utf8)
        } catch {
            throw HarnessError("cannot prepare \(directory): \(error)")
        }
    }

    /// Whether pcscd is running.
    public var isRunning: Bool { process.withLock { $0?.isRunning ?? false } }

    /// Starts pcscd (no-op if running) and waits until it lists both vpcd readers.
    /// - Throws: ``HarnessError`` with the tail of ``logPath`` if it exits or does not list the readers within 10 s.
    public func start() throws(HarnessError) {
        if isRunning { return }
        let fm = FileManager.default
        for stale in ["/run/pcscd.comm", "/run/pcscd.pid"] { try? fm.removeItem(atPath: directory + stale) }
        _ = fm.createFile(atPath: logPath, contents: nil)
        let log = FileHandle(forWritingAtPath: logPath)
        log?.seekToEndOfFile()

        let debug = ProcessInfo.processInfo.environment["KIOSK_PCSCD_DEBUG"] == "1" ? " --debug --apdu" : ""
        let script = """
            mount --bind '\(directory)/run' /run/pcscd || exit 111
            for bundle in /usr/lib/pcsc/drivers/*.bundle; do
                [ -d "$bundle" ] && mount --bind '\(directory)/empty' "$bundle"
            done
            exec \(Self.pcscdPath) --foreground\(debug) -c '\(directory)/reader.conf'
            """
        let child = Process()
        child.executableURL = URL(fileURLWithPath: Self.unsharePath)
        child.arguments = ["--mount", "--propagation", "private", "/bin/sh", "-c", script]
        child.standardOutput = log
        child.standardError = log
        child.standardInput = FileHandle.nullDevice
        do {
            try child.run()
        } catch {
            throw HarnessError("cannot launch \(Self.unsharePath): \(error)")
        }
        process.withLock { $0 = child }
        harnessPID.store(child.processIdentifier, ordering: .relaxed)
        registerExitHandler(directory: directory)

        let deadline = ContinuousClock.now + .seconds(10)
        var lastProblem = "socket \(socketPath) not created"
        while ContinuousClock.now < deadline {
            guard child.isRunning else {
                throw HarnessError("pcscd exited with status \(child.terminationStatus)\n\(logTail())")
            }
            if fm.fileExists(atPath: socketPath) {
                do {
                    let context = try PCSCContext.establish()
                    defer { context.release() }
                    let listed = try context.listReaders()
                    if readerNames.allSatisfy(listed.contains) { return }
                    lastProblem = "readers listed: \(listed)"
                } catch {
                    lastProblem = "\(error)"
                }
            }
            usleep(20_000)
        }
        stopProcess()
        throw HarnessError("pcscd did not come up within 10 s (\(lastProblem))\n\(logTail())")
    }

    /// Stops pcscd (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. The socket path stays the same for
    /// the next ``start()``. Cards still inserted see their connection closed.
    public func stop() {
        stopProcess()
    }

    private func stopProcess() {
        guard let child = process.withLock({ p -> Process? in
            defer { p = nil }
            return p
        }) else { return }
        harnessPID.store(0, ordering: .relaxed)
        guard child.isRunning else { return }
        child.terminate()
        let deadline = ContinuousClock.now + .seconds(5)
        while child.isRunning, ContinuousClock.now < deadline { usleep(10_000) }
        if child.isRunning {
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
        }
    }

    /// A card slot for reader `index` (0 or 1): a ``VirtualCardSlot`` on `port + index`.
    public func slot(_ index: Int = 0) -> VirtualCardSlot {
        precondition(readerNames.indices.contains(index), "vpcd serves two readers: 0 and 1")
        return VirtualCardSlot(host: "127.0.0.1", port: port + index)
    }

    /// Waits until pcscd reports reader `index` with (or without) a card, polling ``PCSCContext/status(of:)`` every
    /// 10 ms. vpcd is polled by pcscd about every 400 ms, so a card removed and put back within one poll is not seen
    /// at all; tests that remove a card should wait for the empty reader before inserting the next one.
    /// - Throws: ``HarnessError`` after `timeout`.
    public func waitForReader(_ index: Int, hasCard: Bool, timeout: Duration = .seconds(5)) async throws {
        let reader = readerNames[index]
        let deadline = ContinuousClock.now + timeout
        var last = "no answer"
        while ContinuousClock.now < deadline {
            do {
                let context = try PCSCContext.establish()
                defer { context.release() }
                if let status = try context.status(of: [reader]).first {
                    if status.isCardPresent == hasCard { return }
                    last = "isCardPresent = \(status.isCardPresent)"
                }
            } catch {
                last = "\(error)"
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw HarnessError("\(reader) still not \(hasCard ? "present" : "empty") after \(timeout) (\(last))")
    }

    /// Removes the card in `slot` and waits until pcscd reports reader `index` empty.
    public func remove(_ slot: VirtualCardSlot, waitingForReader index: Int, timeout: Duration = .seconds(5))
        async throws
    {
        slot.remove()
        try await waitForReader(index, hasCard: false, timeout: timeout)
    }

    /// The last 40 lines of pcscd's log.
    public func logTail(lines: Int = 40) -> String {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return "(no pcscd log)" }
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    /// Two consecutive TCP ports both free on 0.0.0.0 (vpcd listens on all interfaces).
    private static func twoFreePorts() throws(HarnessError) -> Int {
        for _ in 0..<50 {
            let (first, fd1) = bindPort(0)
            guard first > 0 else { continue }
            let (second, fd2) = bindPort(first + 1)
            close(fd1)
            if fd2 >= 0 { close(fd2) }
            if second == first + 1, first + 1 <= 65535 { return first }
        }
        throw HarnessError("found no two consecutive free TCP ports")
    }

    /// Binds a TCP socket to `port` on 0.0.0.0 (0 = any); returns the bound port (0 on failure) and the open socket.
    private static func bindPort(_ port: Int) -> (Int, Int32) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return (0, -1) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = INADDR_ANY
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else {
            close(fd)
            return (0, -1)
        }
        return (Int(UInt16(bigEndian: address.sin_port)), fd)
    }
}

/// Why the harness cannot run.
public struct HarnessError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// pcscd's PID for the exit handler (0 when none).
private let harnessPID = Atomic<Int32>(0)
private let exitHandlerRegistered = Atomic<Bool>(false)

private let harnessDirectory = Mutex<String?>(nil)

/// Stops pcscd and deletes the temporary directory when the test process exits, so a run leaves nothing behind.
/// (Set `KIOSK_PCSCD_KEEP=1` to keep the directory and its pcscd.log.)
private func registerExitHandler(directory: String) {
    harnessDirectory.withLock { $0 = directory }
    guard !exitHandlerRegistered.exchange(true, ordering: .relaxed) else { return }
    atexit {
        let pid = harnessPID.load(ordering: .relaxed)
        if pid > 0 { kill(pid, SIGTERM) }
        if getenv("KIOSK_PCSCD_KEEP") == nil, let directory = harnessDirectory.withLock({ $0 }) {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }
}
