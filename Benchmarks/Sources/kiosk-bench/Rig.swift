import Foundation
import SmartCard
import Synchronization
import VirtualCard

#if canImport(Glibc)
import Glibc
#endif

// The real parts of a tap, as separate processes: a private pcscd with vpcd (scripts/private-pcscd.sh, as `make demo`
// starts it), `kioskd` and `kiosk-central` (release builds next to kiosk-bench), with kioskd's log, terminal,
// scanner and sd_notify socket wired to this process. Everything here is plain blocking code on threads of its own:
// kiosk-bench has no async code.

/// The repository (kiosk-bench runs from the source tree: `make bench`).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

/// The directory of the kiosk-bench executable, where `swift build --product kioskd` in Benchmarks/ puts kioskd.
let binaryDirectory = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()

struct RigError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A fresh temporary directory, removed by ``remove()``.
func makeWorkDirectory(_ name: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("kiosk-bench-\(name)-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func sleep(_ duration: Duration) {
    let (seconds, attoseconds) = duration.components
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0, errno == EINTR { request = remaining }
}

// MARK: - pcscd

/// The private pcscd of `scripts/private-pcscd.sh` (own mount namespace, USB drivers hidden), serving two vpcd readers
/// on TCP `port` and `port + 1`. Sets `PCSCLITE_CSOCK_NAME` in this process, so start it before any PC/SC call.
final class PrivatePCSCD {
    static let friendlyName = "CardKiosk Virtual PCD"  // scripts/private-pcscd.sh
    let directory: URL
    let port: Int
    let readerNames: [String]
    var socketPath: String { directory.appendingPathComponent("run/pcscd.comm").path }
    private let process: Process
    private let context: PCSCContext

    init(directory: URL) throws {
        guard geteuid() == 0 else { throw RigError("the tap benchmarks start a private pcscd with unshare --mount: run as root") }
        let port = try freePortPair()
        let names = ["\(Self.friendlyName) 00 00", "\(Self.friendlyName) 00 01"]
        let socket = directory.appendingPathComponent("run/pcscd.comm").path
        setenv("PCSCLITE_CSOCK_NAME", socket, 1)
        let process = Process()
        process.executableURL = repositoryRoot.appendingPathComponent("scripts/private-pcscd.sh")
        process.arguments = [directory.path, "\(port)"]
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let log = directory.appendingPathComponent("pcscd.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: log)
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + .seconds(10)
        var problem = "no socket"
        var established: PCSCContext?
        while ContinuousClock.now < deadline, process.isRunning {
            if FileManager.default.fileExists(atPath: socket) {
                do {
                    let context = try PCSCContext.establish()
                    let listed = try context.listReaders()
                    if names.allSatisfy(listed.contains) {
                        established = context
                        break
                    }
                    context.release()
                    problem = "readers: \(listed)"
                } catch {
                    problem = "\(error)"
                }
            }
            sleep(.milliseconds(20))
        }
        guard let established else {
            process.terminate()
            let tail = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            throw RigError("pcscd did not come up (\(problem)):\n\(tail.suffix(2000))")
        }
        self.directory = directory
        self.port = port
        self.readerNames = names
        self.process = process
        self.context = established
    }

    /// The slot of reader `index` (0 or 1), as the card sees it.
    func slot(_ index: Int) -> VirtualCardSlot { VirtualCardSlot(host: "127.0.0.1", port: port + index) }

    /// Waits (polling pcscd every 10 ms) until reader `index` has, or has no, card. vpcd's presence is polled by
    /// pcscd about every 400 ms.
    func waitForReader(_ index: Int, hasCard: Bool, timeout: Duration = .seconds(10)) throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = try? context.status(of: [readerNames[index]]).first, status.isCardPresent == hasCard { return }
            sleep(.milliseconds(10))
        }
        throw RigError("\(readerNames[index]) not \(hasCard ? "present" : "empty") after \(timeout)")
    }

    func stop() {
        context.release()
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}

/// Two consecutive free TCP ports (vpcd listens on PORT and PORT+1 on every interface).
func freePortPair() throws -> Int {
    func bindPort(_ port: Int) -> (Int, Int32) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return (0, -1) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = INADDR_ANY
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard ok else {
            close(fd)
            return (0, -1)
        }
        return (Int(UInt16(bigEndian: address.sin_port)), fd)
    }
    for _ in 0..<50 {
        let (first, fd1) = bindPort(0)
        guard first > 0, first < 65535 else { continue }
        let (second, fd2) = bindPort(first + 1)
        close(fd1)
        if fd2 >= 0 { close(fd2) }
        if second == first + 1 { return first }
    }
    throw RigError("no two consecutive free TCP ports")
}

// MARK: - Lines of a child's output, time-stamped on arrival

/// Lines read from a descriptor by a thread of its own, each with the instant it arrived here.
final class LineLog: @unchecked Sendable {
    struct Line {
        var at: ContinuousClock.Instant
        var text: String
    }

    private let condition = NSCondition()
    private var lines: [Line] = []
    private var ended = false
    private let copy: FileHandle?

    /// Reads `fd` until end of file; with `copyTo`, appends every byte to that file too.
    init(reading fd: Int32, copyTo path: String? = nil) {
        if let path {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            copy = FileHandle(forWritingAtPath: path)
        } else {
            copy = nil
        }
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65536)
            var partial: [UInt8] = []
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR { continue }
                if n <= 0 { break }
                let now = ContinuousClock.now
                copy?.write(Data(buffer[0..<n]))
                partial += buffer[0..<n]
                var complete: [Line] = []
                while let newline = partial.firstIndex(of: 0x0A) {
                    complete.append(Line(at: now, text: String(decoding: partial[..<newline], as: UTF8.self)))
                    partial.removeSubrange(...newline)
                }
                if !complete.isEmpty {
                    condition.lock()
                    lines += complete
                    condition.broadcast()
                    condition.unlock()
                }
            }
            condition.lock()
            ended = true
            condition.broadcast()
            condition.unlock()
        }
        thread.start()
    }

    var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return lines.count
    }

    func all() -> [Line] {
        condition.lock()
        defer { condition.unlock() }
        return lines
    }

    /// The first line at index ≥ `index` that satisfies `matches`, waiting at most `timeout` for it; with its index.
    func wait(from index: Int, timeout: Duration, where matches: (String) -> Bool) -> (index: Int, line: Line)? {
        let deadline = Date().addingTimeInterval(Double(timeout.components.seconds) + Double(timeout.components.attoseconds) * 1e-18)
        condition.lock()
        defer { condition.unlock() }
        var next = index
        while true {
            while next < lines.count {
                if matches(lines[next].text) { return (next, lines[next]) }
                next += 1
            }
            if ended || !condition.wait(until: deadline) { return nil }
        }
    }
}

/// The `key=value` fields of a kioskd journal-format log line (`<6>tap shown kiosk.event=card_tap kiosk.reader=…`):
/// values may hold spaces (reader names), so a field runs to the next ` kiosk.`.
func logFields(_ line: String) -> [String: String] {
    var fields: [String: String] = [:]
    let parts = line.components(separatedBy: " kiosk.").dropFirst()
    for part in parts {
        guard let equals = part.firstIndex(of: "=") else { continue }
        fields["kiosk." + part[..<equals]] = String(part[part.index(after: equals)...])
    }
    return fields
}

// MARK: - Pseudo-terminals

/// A pseudo-terminal: kioskd's terminal (its standard output, drained here) or a serial scanner (written here).
final class PseudoTerminal: @unchecked Sendable {
    let master: Int32
    let slave: Int32
    let slavePath: String
    private let drained = Atomic<Int>(0)

    init(columns: UInt16 = 100, rows: UInt16 = 30, raw: Bool) throws {
        var master: Int32 = -1
        var slave: Int32 = -1
        var size = winsize(ws_row: rows, ws_col: columns, ws_xpixel: 0, ws_ypixel: 0)
        guard openpty(&master, &slave, nil, nil, &size) == 0 else { throw RigError("openpty: errno \(errno)") }
        self.master = master
        self.slave = slave
        slavePath = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(slave)")
        if raw {
            var attributes = termios()
            tcgetattr(slave, &attributes)
            cfmakeraw(&attributes)
            tcsetattr(slave, TCSANOW, &attributes)
        }
    }

    /// Reads and discards everything written to the terminal (so the writer never blocks), on a thread of its own.
    func drain() {
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR { continue }
                if n <= 0 { break }
                drained.add(n, ordering: .relaxed)
            }
        }
        thread.start()
    }

    /// Bytes drained so far.
    var bytesDrained: Int { drained.load(ordering: .relaxed) }

    func write(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(master, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }
}

// MARK: - sd_notify

/// The service manager's end of sd_notify: an `AF_UNIX` datagram socket whose datagrams a thread collects, each with
/// its arrival instant.
final class NotifySocket: @unchecked Sendable {
    let path: String
    private let lines: LineLog
    private let fd: Int32

    init(directory: URL) throws {
        let path = directory.appendingPathComponent("notify.sock").path
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw RigError("socket: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let name = Array(path.utf8) + [0]
        guard name.count <= MemoryLayout.size(ofValue: address.sun_path) else { throw RigError("socket path too long: \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: name) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + name.count)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw RigError("bind \(path): errno \(errno)") }
        // Each datagram becomes one "line" (newlines inside turned into spaces) of a LineLog, through a pipe.
        var pair: [Int32] = [-1, -1]
        guard pipe(&pair) == 0 else { throw RigError("pipe: errno \(errno)") }
        let writeEnd = pair[1]
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n < 0, errno == EINTR { continue }
                if n <= 0 { break }
                let text = buffer[0..<n].map { $0 == 0x0A ? 0x20 : $0 } + [0x0A]
                _ = text.withUnsafeBytes { Glibc.write(writeEnd, $0.baseAddress, $0.count) }
            }
            close(writeEnd)
        }
        thread.start()
        self.path = path
        self.fd = fd
        self.lines = LineLog(reading: pair[0])
    }

    /// Waits for a datagram containing `text` after the first `index` ones.
    func wait(for text: String, from index: Int = 0, timeout: Duration) -> LineLog.Line? {
        lines.wait(from: index, timeout: timeout) { $0.contains(text) }?.line
    }

    var count: Int { lines.count }
}

// MARK: - /proc figures

/// What /proc says about a process: resident memory, open descriptors, context switches of all its threads.
struct ProcessFigures {
    var pid: Int32

    /// `VmRSS` of /proc/PID/status, in kB.
    var residentKilobytes: Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        return Self.field("VmRSS", in: status)
    }

    /// Entries of /proc/PID/fd.
    var openDescriptors: Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count
    }

    /// What each open descriptor is, sockets and pipes without their inode (`socket`, `pipe`, `anon_inode:[eventfd]`,
    /// or the file's path), sorted.
    var descriptorTargets: [String] {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
        return fds.compactMap { fd in
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)") else { return nil }
            if target.hasPrefix("socket:") { return "socket" }
            if target.hasPrefix("pipe:") { return "pipe" }
            return target
        }.sorted()
    }

    /// Per thread (TID → name, voluntary + involuntary context switches): every switch is a wake-up (or a
    /// preemption) of that thread.
    var contextSwitches: [Int: (name: String, switches: Int)] {
        var result: [Int: (name: String, switches: Int)] = [:]
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        for task in tasks {
            guard let tid = Int(task),
                let status = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/status", encoding: .utf8)
            else { continue }
            let name = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/comm", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
            let switches = (Self.field("voluntary_ctxt_switches", in: status) ?? 0)
                + (Self.field("nonvoluntary_ctxt_switches", in: status) ?? 0)
            result[tid] = (name: name, switches: switches)
        }
        return result
    }

    static func field(_ name: String, in status: String) -> Int? {
        for line in status.split(separator: "\n") where line.hasPrefix(name + ":") {
            return Int(line.dropFirst(name.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
        }
        return nil
    }
}

/// Wake-ups per second of a process over `window`, and the threads that woke (name: wake-ups). /proc is read every
/// 100 ms, so a thread that exits during the window (libdispatch retires idle workers after 5 s and starts new ones
/// on demand) still counts with its last reading; a thread that starts during it counts from 0.
func idleWakeUps(of pid: Int32, over window: Duration) -> (perSecond: Double, byThread: [(String, Int)]) {
    let before = ProcessFigures(pid: pid).contextSwitches
    var last = before
    let start = ContinuousClock.now
    while ContinuousClock.now - start < window {
        sleep(min(.milliseconds(100), window - (ContinuousClock.now - start)))
        for (tid, thread) in ProcessFigures(pid: pid).contextSwitches { last[tid] = thread }
    }
    let seconds = (ContinuousClock.now - start).seconds
    var byName: [String: Int] = [:]
    var total = 0
    for (tid, thread) in last {
        let delta = thread.switches - (before[tid]?.switches ?? 0)
        total += delta
        byName[thread.name, default: 0] += delta
    }
    return (Double(total) / seconds, byName.filter { $0.value > 0 }.sorted { $0.value > $1.value })
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
    var milliseconds: Double { seconds * 1000 }
}
