internal import CPCSCLite
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An application context with pcscd (`SCARDCONTEXT`, PC/SC part 5 §3.1.1; pcsc-lite `winscard.h`).
///
/// Every call here is a synchronous round trip to pcscd over its Unix socket and **blocks the calling thread**; call
/// it from a dedicated thread (``ReaderMonitor`` and ``PCSCCardReader`` do), not from the cooperative pool.
///
/// pcsc-lite locks a context for the whole of `SCardGetStatusChange`, so a context used for monitoring must not be
/// used for card I/O: every other call on it waits until the status wait returns. ``cancel()`` is the exception (it
/// opens its own connection) and may be called from any thread.
///
/// The client library reads `PCSCLITE_CSOCK_NAME` once per process, at the first PC/SC call; set it before that to
/// talk to a pcscd on another socket. A context dies with its pcscd: after a pcscd restart calls fail with
/// `SCARD_E_INVALID_HANDLE`, `SCARD_F_COMM_ERROR` or `SCARD_E_NO_SERVICE` (``PCSCError/isServiceLost``); release it
/// and establish a new one.
public final class PCSCContext: Sendable {
    /// The `SCARDCONTEXT` value (`LONG`, 64-bit on Linux x86_64).
    public let handle: Int
    private let released = Atomic<Bool>(false)

    private init(handle: Int) {
        self.handle = handle
    }

    deinit { release() }

    /// `SCardEstablishContext(SCARD_SCOPE_SYSTEM)`. Fails at once when pcscd is not running (the 1.9.9 client does
    /// not start it).
    /// - Throws: `SCARD_E_NO_SERVICE` (pcscd not running or its socket missing), `SCARD_E_NO_MEMORY`,
    ///   `SCARD_F_COMM_ERROR`.
    public static func establish() throws(PCSCError) -> PCSCContext {
        var handle: SCARDCONTEXT = 0
        try PCSCError.check(
            SCardEstablishContext(DWORD(SCARD_SCOPE_SYSTEM), nil, nil, &handle), "SCardEstablishContext")
        return PCSCContext(handle: handle)
    }

    /// `SCardReleaseContext`. Idempotent; errors (a context pcscd already forgot) are ignored.
    public func release() {
        guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        _ = SCardReleaseContext(handle)
    }

    /// Whether ``release()`` was called.
    public var isReleased: Bool { released.load(ordering: .acquiring) }

    /// `SCardIsValidContext`: `false` once released, or when pcscd no longer knows it (restart).
    public var isValid: Bool {
        !isReleased && SCardIsValidContext(handle) == 0
    }

    /// The names of the readers pcscd knows, in its order (`SCardListReaders` into a buffer that holds any reader
    /// list pcsc-lite can have: one round trip to pcscd; if it reports a longer list, again with that length).
    ///
    /// Blocks while another thread waits in `SCardGetStatusChange` on this context.
    /// - Returns: reader names; empty when pcscd has none (`SCARD_E_NO_READERS_AVAILABLE`).
    /// - Throws: ``PCSCError/isServiceLost`` errors; `SCARD_E_INSUFFICIENT_BUFFER` if the list kept outgrowing the
    ///   length pcscd had just given, three times in a row.
    public func listReaders() throws(PCSCError) -> [String] {
        // pcsc-lite 1.9.9: at most PCSCLITE_MAX_READERS_CONTEXTS (16) names of MAX_READERNAME (128) bytes, each with
        // its NUL, and the final NUL.
        var capacity: DWORD = 16 * 128 + 1
        for _ in 0..<3 {
            var buffer = [CChar](repeating: 0, count: Int(capacity) + 1)
            var length = capacity
            let rv = SCardListReaders(handle, nil, &buffer, &length)
            if rv == PCSCError.SCARD_E_NO_READERS_AVAILABLE.code { return [] }
            if rv == PCSCError.SCARD_E_INSUFFICIENT_BUFFER.code {
                capacity = max(length, capacity * 2)
                continue
            }
            try PCSCError.check(rv, "SCardListReaders")
            return Self.parseMultiString(buffer.prefix(Int(min(length, capacity))))
        }
        throw PCSCError(code: PCSCError.SCARD_E_INSUFFICIENT_BUFFER.code, function: "SCardListReaders")
    }

    /// A snapshot of each reader's card state, without waiting: `SCardGetStatusChange` with every `dwCurrentState`
    /// `SCARD_STATE_UNAWARE` and a 0 ms timeout.
    ///
    /// - Returns: one ``ReaderStatus`` per name, in order.
    /// - Throws: `SCARD_E_UNKNOWN_READER` when a name is not listed; ``PCSCError/isServiceLost`` errors.
    public func status(of readers: [String]) throws(PCSCError) -> [ReaderStatus] {
        guard !readers.isEmpty else { return [] }
        let cNames = readers.map { strdup($0)! }
        defer { cNames.forEach { free($0) } }
        var states = [SCARD_READERSTATE](repeating: SCARD_READERSTATE(), count: readers.count)
        for i in states.indices {
            states[i].szReader = UnsafePointer(cNames[i])
            states[i].dwCurrentState = DWORD(SCARD_STATE_UNAWARE)
        }
        let rv = states.withUnsafeMutableBufferPointer { buffer in
            SCardGetStatusChange(handle, 0, buffer.baseAddress, DWORD(buffer.count))
        }
        try PCSCError.check(rv, "SCardGetStatusChange")
        return zip(readers, states).map { name, state in
            let event = state.dwEventState
            return ReaderStatus(
                reader: name,
                isCardPresent: event & DWORD(SCARD_STATE_PRESENT) != 0,
                isMute: event & DWORD(SCARD_STATE_MUTE) != 0,
                atr: withUnsafeBytes(of: state.rgbAtr) { Array($0.prefix(min(Int(state.cbAtr), Int(MAX_ATR_SIZE)))) },
                eventCount: Int((event >> 16) & 0xFFFF))
        }
    }

    /// `SCardCancel`: ends a `SCardGetStatusChange` blocked on this context with `SCARD_E_CANCELLED`.
    ///
    /// pcsc-lite 1.9.9 does nothing (and returns success) unless the wait has already started, so a caller that must
    /// stop a wait resends it until the wait returns (see ``ReaderMonitor``).
    public func cancel() {
        Self.cancel(handle: handle)
    }

    /// `SCardCancel` on a raw handle; a stale handle just gets `SCARD_E_INVALID_HANDLE`, which is ignored.
    static func cancel(handle: Int) {
        _ = SCardCancel(handle)
    }

    /// Splits a PC/SC multi-string (`"a\0b\0\0"`, PC/SC part 5 §3.1.4) into its strings.
    static func parseMultiString(_ chars: some Collection<CChar>) -> [String] {
        var names: [String] = []
        var current: [UInt8] = []
        for c in chars {
            if c == 0 {
                if current.isEmpty { break }
                names.append(String(decoding: current, as: UTF8.self))
                current.removeAll(keepingCapacity: true)
            } else {
                current.append(UInt8(bitPattern: c))
            }
        }
        if !current.isEmpty { names.append(String(decoding: current, as: UTF8.self)) }
        return names
    }
}

/// One reader's state as `SCardGetStatusChange` reports it (``PCSCContext/status(of:)``).
public struct ReaderStatus: Sendable, Hashable {
    public var reader: String
    /// `SCARD_STATE_PRESENT`: a card is in the reader (it may still be mute).
    public var isCardPresent: Bool
    /// `SCARD_STATE_MUTE`: the card did not answer reset.
    public var isMute: Bool
    /// The card's ATR; empty when there is no card.
    public var atr: [UInt8]
    /// pcscd's event counter for the reader (bits 16–31 of `dwEventState`): advances on every insertion and removal.
    public var eventCount: Int
}
