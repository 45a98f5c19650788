import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One vpcd reader slot, seen from the card: ``insert(_:removeAfterAPDUs:)`` puts a ``CardImage`` into the reader,
/// ``remove()`` takes it out.
///
/// vpcd (vsmartcard-vpcd, loaded by pcscd from reader.conf) listens on TCP `PORT` for reader "… 00 00" and `PORT+1` for
/// "… 00 01", and the card is the client: inserting a card is connecting, removing it is closing the connection
/// (vpcd then reports the card absent on pcscd's next presence poll). While inserted, a dedicated thread answers vpcd's
/// frames (``VPCDFrame``): "get ATR" with the image's ATR (pcscd asks about every 400 ms), power on / reset by calling
/// ``CardImage/reset()``, power off silently, and each command APDU with ``CardImage/respond(to:)`` in one write.
///
/// Latency: Debian 12's vpcd writes the length and the payload of each command in two `send` calls without
/// `TCP_NODELAY`, so Nagle holds the payload until the card acknowledges the header, and Linux delays that ACK by
/// about 40 ms. The slot sets `TCP_NODELAY` and re-arms `TCP_QUICKACK` before every read (the kernel clears it), which
/// brings an APDU round trip through pcscd down to about 0.2 ms.
///
/// All methods may be called from any thread or task; ``insert(_:removeAfterAPDUs:)`` and ``remove()`` return quickly
/// (a loopback connect; a socket shutdown and the serving thread's exit).
public final class VirtualCardSlot: Sendable {
    /// Counters since the slot was made (`total…`) and for the current or last insertion.
    public struct Statistics: Sendable, Hashable {
        /// Command APDUs answered during the current (or last) insertion.
        public var apdusAnswered = 0
        /// Command APDUs answered over all insertions.
        public var totalAPDUsAnswered = 0
        /// "Get ATR" requests answered over all insertions.
        public var atrRequests = 0
        /// Power-on and reset requests over all insertions.
        public var resets = 0
        /// Insertions so far.
        public var insertions = 0
        /// Insertions that ended because vpcd/pcscd closed the connection (rather than ``remove()`` or
        /// `removeAfterAPDUs`).
        public var closedByReader = 0
    }

    public let host: String
    public let port: Int

    private struct State {
        var session: Session?
        var statistics = Statistics()
    }

    private let state = Mutex(State())

    /// - Parameters:
    ///   - host: an IPv4 address or `localhost`; vpcd listens on all interfaces.
    ///   - port: the slot's TCP port (reader.conf `DEVICENAME /dev/null:PORT`; the second reader is `PORT+1`).
    public init(host: String = "127.0.0.1", port: Int) {
        self.host = host
        self.port = port
    }

    deinit {
        if let session = state.withLock({ $0.session }) { session.stop() }
    }

    /// Whether a card is in the slot: from ``insert(_:removeAfterAPDUs:)`` until ``remove()``, the
    /// `removeAfterAPDUs` pull, or vpcd closing the connection (pcscd stopped).
    public var isInserted: Bool { state.withLock { $0.session != nil } }

    /// A snapshot of the counters.
    public var statistics: Statistics { state.withLock { $0.statistics } }

    /// Command APDUs answered during the current (or last) insertion.
    public var apdusAnswered: Int { statistics.apdusAnswered }

    /// Inserts `image`: connects to vpcd and starts answering. A card already inserted is removed first.
    ///
    /// - Parameter removeAfterAPDUs: answer this many command APDUs, then, when the next one arrives, close the
    ///   connection instead of answering: a card pulled between two APDUs. `nil` (default) keeps answering.
    /// - Throws: ``VirtualCardSlotError`` when the socket cannot be made or vpcd is not listening (`ECONNREFUSED`:
    ///   pcscd not running, or no vpcd reader on that port).
    public func insert(_ image: some CardImage, removeAfterAPDUs: Int? = nil) throws(VirtualCardSlotError) {
        remove()
        let fd = try Self.connect(host: host, port: port)
        let session = Session(fd: fd)
        state.withLock { state in
            state.session = session
            state.statistics.apdusAnswered = 0
            state.statistics.insertions += 1
        }
        let slotState = SlotStateRef(slot: self)
        let thread = Thread { [image] in
            var image = image
            let end = session.serve(&image, removeAfterAPDUs: removeAfterAPDUs, slot: slotState)
            slotState.sessionEnded(session, end: end)
        }
        thread.name = "vpcd-card-\(port)"
        thread.start()
    }

    /// Removes the card: closes the connection and waits for the serving thread to finish. No-op when empty.
    public func remove() {
        guard let session = state.withLock({ state -> Session? in
            defer { state.session = nil }
            return state.session
        }) else { return }
        session.stop()
        session.waitUntilDone()
    }

    /// Waits until the card is out (``remove()``, the `removeAfterAPDUs` pull, or vpcd closing), polling every 5 ms.
    /// Returns `false` if it is still in after `timeout`.
    public func waitUntilRemoved(timeout: Duration = .seconds(5)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while isInserted {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    // MARK: internals used by the serving thread

    fileprivate func record(_ update: (inout Statistics) -> Void) {
        state.withLock { update(&$0.statistics) }
    }

    fileprivate func sessionEnded(_ session: Session, end: Session.End) {
        state.withLock { state in
            if state.session === session { state.session = nil }
            if end == .closedByReader { state.statistics.closedByReader += 1 }
        }
    }

    private static func connect(host: String, port: Int) throws(VirtualCardSlotError) -> Int32 {
        guard (1...65535).contains(port) else { throw VirtualCardSlotError(call: "connect(port \(port))", errno: EINVAL) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let literal = host == "localhost" ? "127.0.0.1" : host
        guard inet_pton(AF_INET, literal, &address.sin_addr) == 1 else {
            throw VirtualCardSlotError(call: "inet_pton(\(host))", errno: EINVAL)
        }
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw VirtualCardSlotError(call: "socket", errno: errno) }
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            let error = errno
            close(fd)
            throw VirtualCardSlotError(call: "connect(\(host):\(port))", errno: error)
        }
        return fd
    }
}

/// A socket call of ``VirtualCardSlot`` failed.
public struct VirtualCardSlotError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The call, with its target (`"connect(127.0.0.1:35963)"`).
    public var call: String
    /// The `errno` it left.
    public var errno: Int32

    public var description: String { "\(call) failed: \(String(cString: strerror(errno)))" }
}

/// Weak path from a serving thread back to its slot (the thread must not keep the slot alive).
private final class SlotStateRef: Sendable {
    private weak let slot: VirtualCardSlot?

    init(slot: VirtualCardSlot) { self.slot = slot }

    func record(_ update: (inout VirtualCardSlot.Statistics) -> Void) {
        slot?.record(update)
    }

    func sessionEnded(_ session: Session, end: Session.End) {
        slot?.sessionEnded(session, end: end)
    }
}

/// One insertion: the connected socket and its serving thread.
private final class Session: Sendable {
    enum End {
        case removed
        case pulled
        case closedByReader
    }

    private struct SocketState {
        var fd: Int32
        var closed = false
        var stopRequested = false
    }

    private let socket: Mutex<SocketState>
    private let done = DispatchSemaphore(value: 0)
    private let fd: Int32

    init(fd: Int32) {
        self.fd = fd
        socket = Mutex(SocketState(fd: fd))
    }

    /// Wakes the serving thread: `shutdown` makes its blocked `read` return 0. The thread closes the descriptor, so
    /// this never touches a descriptor number that may have been reused.
    func stop() {
        socket.withLock { s in
            s.stopRequested = true
            if !s.closed { _ = shutdown(s.fd, Int32(SHUT_RDWR)) }
        }
    }

    func waitUntilDone() {
        done.wait()
        done.signal()  // later waiters pass too
    }

    /// The serving loop; returns when the connection is over, having closed the socket.
    func serve(_ image: inout some CardImage, removeAfterAPDUs: Int?, slot: SlotStateRef) -> End {
        defer {
            socket.withLock { s in
                s.closed = true
                close(s.fd)
            }
            done.signal()
        }
        var decoder = VPCDFrameDecoder()
        var answered = 0
        var chunk = [UInt8](repeating: 0, count: 4096)
        var one: Int32 = 1
        while true {
            // The kernel clears TCP_QUICKACK after use: re-arm it before every read, or each APDU waits ~40 ms.
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_QUICKACK, &one, socklen_t(MemoryLayout<Int32>.size))
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 {
                return socket.withLock { $0.stopRequested } ? .removed : .closedByReader
            }
            decoder.append(chunk[0..<n])
            while let payload = decoder.next() {
                if payload.count == 1 {
                    switch VPCDFrame.Control(rawValue: payload[0]) {
                    case .getATR:
                        // Counted before the answer goes out: a test that reads the count once the reader has its
                        // answer must see it (counting after the send raced with such a test).
                        slot.record { $0.atrRequests += 1 }
                        guard send(image.atr) else { return .closedByReader }
                    case .powerOn, .reset:
                        image.reset()
                        slot.record { $0.resets += 1 }
                    case .powerOff, nil:
                        break
                    }
                } else if !payload.isEmpty {
                    if let limit = removeAfterAPDUs, answered >= limit { return .pulled }
                    let response = image.respond(to: payload)
                    answered += 1
                    slot.record {
                        $0.apdusAnswered += 1
                        $0.totalAPDUsAnswered += 1
                    }
                    guard send(response) else { return .closedByReader }
                }
            }
        }
    }

    /// Writes one frame in a single `send` (partial writes continued); `false` when the peer is gone.
    private func send(_ payload: [UInt8]) -> Bool {
        let frame = VPCDFrame.encode(payload)
        var offset = 0
        while offset < frame.count {
            let n = frame.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }
}
