internal import CPCSCLite
public import Logging
import Synchronization

/// Opens card sessions through pcscd: the card-I/O side of PC/SC, next to ``ReaderMonitor``.
///
/// It owns one PC/SC context (separate from the monitor's, which pcsc-lite keeps locked during
/// `SCardGetStatusChange`) and one dedicated thread on which every blocking call for that context and its cards runs:
/// `SCardEstablishContext`, `SCardConnect`, `SCardTransmit`, `SCardStatus`, `SCardDisconnect`. Async callers wait on
/// continuations, never blocking the cooperative pool. Calls are serialised: one APDU at a time across all cards
/// opened here (make one reader object per physical reader if they must run in parallel).
///
/// The context is established on the first ``connect(reader:)``. When pcscd has restarted in between
/// (``PCSCError/isServiceLost``), `connect` releases the dead context, establishes a new one and tries once more.
public final class PCSCCardReader: Sendable {
    private let worker: BlockingWorker
    private let context = IOContext()
    private let logger: Logger
    /// How long a failed transmit keeps asking pcscd whether the card is still there (``PCSCCardChannel``).
    public let removalProbeWindow: Duration

    /// - Parameters:
    ///   - removalProbeWindow: after `SCardTransmit` fails with `SCARD_E_NOT_TRANSACTED` (or another transport
    ///     error), how long to poll `SCardStatus` to tell a pulled card (``CardError/cardRemoved``) from a reader
    ///     fault. pcscd learns of a removal on its next presence poll: interrupt-driven for CCID readers, every
    ///     400 ms for vpcd. Default 1 s.
    ///   - logger: for debug-level diagnostics; never logs APDU data.
    public init(removalProbeWindow: Duration = .seconds(1), logger: Logger = Logger(label: "kiosk.pcsc.io")) {
        self.removalProbeWindow = removalProbeWindow
        self.logger = logger
        worker = BlockingWorker(name: "pcsc-io")
    }

    deinit { close() }

    /// Releases the context (invalidating every channel from it) and lets the I/O thread exit. Idempotent.
    public func close() {
        let worker = self.worker
        let context = self.context
        worker.submit { context.drop() }
        worker.close()
    }

    /// The reader names pcscd lists now, from the I/O context (see ``PCSCContext/listReaders()``).
    /// - Throws: ``PCSCError``.
    public func listReaders() async throws(PCSCError) -> [String] {
        try await worker.run { [context] () throws(PCSCError) -> [String] in
            try context.with { (ctx) throws(PCSCError) in try ctx.listReaders() }
        }
    }

    /// Connects to the card in `reader`: `SCardConnect(SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1)`,
    /// then `SCardStatus` for the ATR and the negotiated protocol.
    ///
    /// - Parameter reader: a name as listed by pcscd (``ReaderEvent/readerAdded(_:)``).
    /// - Returns: an open channel; call ``PCSCCardChannel/disconnect()`` when done.
    /// - Throws: ``CardError/cardRemoved`` when no card is there (`SCARD_E_NO_SMARTCARD`, `SCARD_W_REMOVED_CARD`);
    ///   otherwise ``CardError/reader(name:code:)`` with the `SCARD_*` name, e.g. `SCARD_E_UNKNOWN_READER`,
    ///   `SCARD_E_SHARING_VIOLATION` (another application holds it exclusively), `SCARD_W_UNRESPONSIVE_CARD`,
    ///   `SCARD_E_NO_SERVICE`.
    public func connect(reader: String) async throws(CardError) -> PCSCCardChannel {
        let opened: Connection
        do throws(PCSCError) {
            opened = try await worker.run { [context, logger] () throws(PCSCError) -> Connection in
                do throws(PCSCError) {
                    return try context.with { (ctx) throws(PCSCError) in try Self.connect(ctx, reader: reader) }
                } catch where error.isServiceLost {
                    logger.debug("card I/O context lost, establishing a new one",
                                 metadata: ["kiosk.pcsc.error": "\(error)"])
                    context.drop()
                    return try context.with { (ctx) throws(PCSCError) in try Self.connect(ctx, reader: reader) }
                }
            }
        } catch {
            throw error.cardError
        }
        return PCSCCardChannel(reader: reader, connection: opened, worker: worker,
                               removalProbeWindow: removalProbeWindow)
    }

    /// What `SCardConnect` + `SCardStatus` found.
    struct Connection: Sendable {
        var handle: Int
        var activeProtocol: PCSCProtocol
        var atr: [UInt8]
    }

    private static func connect(_ context: PCSCContext, reader: String) throws(PCSCError) -> Connection {
        var handle: SCARDHANDLE = 0
        var active: DWORD = 0
        try PCSCError.check(
            SCardConnect(context.handle, reader, DWORD(SCARD_SHARE_SHARED),
                         DWORD(SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1), &handle, &active),
            "SCardConnect")
        do {
            let status = try PCSCCardChannel.status(handle: handle)
            return Connection(handle: handle, activeProtocol: PCSCProtocol(active), atr: status.atr)
        } catch {
            _ = SCardDisconnect(handle, DWORD(SCARD_LEAVE_CARD))
            throw error
        }
    }
}

/// The card-I/O context of a ``PCSCCardReader``, established on first use. Used from the I/O thread only; the lock
/// just makes that provable to the compiler.
private final class IOContext: Sendable {
    private let context = Mutex<PCSCContext?>(nil)

    /// Runs `body` with the context, establishing it first if needed.
    func with<T>(_ body: (PCSCContext) throws(PCSCError) -> T) throws(PCSCError) -> T {
        let ctx = try context.withLock { (ctx: inout PCSCContext?) throws(PCSCError) -> PCSCContext in
            if let ctx, !ctx.isReleased { return ctx }
            let fresh = try PCSCContext.establish()
            ctx = fresh
            return fresh
        }
        return try body(ctx)
    }

    /// Releases the context; the next ``with(_:)`` establishes a new one.
    func drop() {
        context.withLock { ctx in
            ctx?.release()
            ctx = nil
        }
    }
}

/// The transmission protocol pcscd negotiated with the card (ISO/IEC 7816-3 §7.2: T=0 character, T=1 block).
public enum PCSCProtocol: Sendable, Hashable {
    case t0
    case t1
    case raw
    case other(UInt)

    init(_ value: UInt) {
        switch value {
        case UInt(SCARD_PROTOCOL_T0): self = .t0
        case UInt(SCARD_PROTOCOL_T1): self = .t1
        case UInt(SCARD_PROTOCOL_RAW): self = .raw
        default: self = .other(value)
        }
    }
}
