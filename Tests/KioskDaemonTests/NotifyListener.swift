import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The service manager's side of sd_notify for tests: a real `AF_UNIX` `SOCK_DGRAM` socket bound at a path in a
/// temporary directory (or in the abstract namespace), whose datagrams a thread collects in arrival order.
final class NotifyListener: Sendable {
    /// What to put in `NOTIFY_SOCKET`: the path, or `@name` for the abstract namespace.
    let notifySocket: String
    private let descriptor: Int32
    private let directory: String?
    private let state = State()

    private final class State: Sendable {
        let received = Mutex<[String]>([])
        let stopped = Atomic<Bool>(false)
    }

    init(abstract: Bool = false) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var name: [UInt8]
        if abstract {
            notifySocket = "@kiosk-test-\(UUID().uuidString.prefix(8))"
            directory = nil
            name = Array(notifySocket.utf8)
            name[0] = 0
        } else {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            directory = dir
            notifySocket = dir + "/notify.sock"
            name = Array(notifySocket.utf8) + [0]
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: name) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + name.count)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else {
            close(fd)
            throw TestFailure("bind \(notifySocket): errno \(errno)")
        }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        descriptor = fd
        let state = self.state
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !state.stopped.load(ordering: .acquiring) {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n > 0 { state.received.withLock { $0.append(String(decoding: buffer[0..<n], as: UTF8.self)) } }
            }
            close(fd)
        }
        thread.start()
    }

    /// Every datagram so far, in order.
    var messages: [String] { state.received.withLock { $0 } }

    /// Waits (at most `timeout`) until a datagram after the first `offset` ones satisfies `matches`; returns its index.
    @discardableResult
    func waitFor(
        _ what: String, after offset: Int = 0, timeout: Duration = .seconds(10),
        where matches: (String) -> Bool
    ) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let all = messages
            if let index = all.indices.dropFirst(offset).first(where: { matches(all[$0]) }) { return index }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("no \(what) datagram within \(timeout); got: \(messages)")
    }

    /// Waits (at most `timeout`) until at least `count` datagrams equal to `message` arrived after the first
    /// `offset`; returns how long that took.
    @discardableResult
    func waitFor(_ count: Int, of message: String, after offset: Int, timeout: Duration = .seconds(10)) async throws
        -> Duration
    {
        let started = ContinuousClock.now
        while ContinuousClock.now < started + timeout {
            if messages.dropFirst(offset).filter({ $0 == message }).count >= count { return ContinuousClock.now - started }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TestFailure("fewer than \(count) \(message) within \(timeout); got: \(messages.dropFirst(offset))")
    }

    func stop() {
        state.stopped.store(true, ordering: .releasing)
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
    }

    deinit { stop() }
}
