internal import CPCSCLite
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A session with one card through pcscd (`SCARDHANDLE`), made by ``PCSCCardReader/connect(reader:)``.
///
/// ``transmitRaw(_:)`` is `SCardTransmit` with the protocol control information of the negotiated protocol
/// (`SCARD_PCI_T0` / `SCARD_PCI_T1`). pcscd does not follow `61 XX` / `6C XX` itself; ``CardChannel/transmit(_:)``
/// does. All calls run on the reader's I/O thread.
public final class PCSCCardChannel: CardChannel {
    /// The reader's name.
    public let reader: String
    /// The ATR as `SCardStatus` reported it right after connecting (ISO/IEC 7816-3 §8, at most 33 bytes).
    public let atr: [UInt8]
    /// The protocol pcscd negotiated.
    public let activeProtocol: PCSCProtocol

    private let handle: Int
    private let worker: BlockingWorker
    private let removalProbeWindow: Duration
    private let disconnected = Atomic<Bool>(false)

    init(reader: String, connection: PCSCCardReader.Connection, worker: BlockingWorker, removalProbeWindow: Duration) {
        self.reader = reader
        atr = connection.atr
        activeProtocol = connection.activeProtocol
        handle = connection.handle
        self.worker = worker
        self.removalProbeWindow = removalProbeWindow
    }

    /// Disconnects (leaving the card) if ``disconnect()`` was not called.
    deinit {
        if !disconnected.exchange(true, ordering: .acquiringAndReleasing) {
            let handle = self.handle
            worker.submit { _ = SCardDisconnect(handle, DWORD(SCARD_LEAVE_CARD)) }
        }
    }

    /// Sends one command APDU, returns the response bytes (data + SW1 SW2). Blocks the I/O thread, not the caller;
    /// not interruptible by task cancellation (an APDU takes milliseconds; pcscd has no cancel for it).
    ///
    /// - Throws: ``CardError/cardRemoved`` when the card was pulled or reset: `SCARD_W_REMOVED_CARD`,
    ///   `SCARD_W_RESET_CARD`, `SCARD_E_NO_SMARTCARD`, or a transport failure (`SCARD_E_NOT_TRANSACTED`,
    ///   `SCARD_E_COMM_DATA_LOST`, `SCARD_W_UNRESPONSIVE_CARD`, `SCARD_W_UNPOWERED_CARD`) after which pcscd reports the
    ///   card gone within ``PCSCCardReader/removalProbeWindow``; otherwise ``CardError/reader(name:code:)`` with the
    ///   `SCARD_*` name (e.g. `SCARD_E_NOT_TRANSACTED` with the card still present, `SCARD_E_INVALID_HANDLE` after
    ///   ``disconnect()`` or a pcscd restart, `SCARD_E_INSUFFICIENT_BUFFER`). A response shorter than SW1 SW2 is
    ///   probed the same way (vpcd answers a card that vanished mid-command with an empty success); if the card is
    ///   still there it is returned as is, and ``CardChannel/transmit(_:)`` reports it as
    ///   ``CardError/malformedResponse(length:)``.
    public func transmitRaw(_ command: [UInt8]) async throws -> [UInt8] {
        let handle = self.handle
        let activeProtocol = self.activeProtocol
        let probeWindow = removalProbeWindow
        do throws(PCSCError) {
            return try await worker.run { () throws(PCSCError) -> [UInt8] in
                do throws(PCSCError) {
                    let response = try Self.transmit(handle: handle, protocol: activeProtocol, command: command)
                    // Fewer than SW1 SW2 is no answer at all: vpcd 3.3 reports a card that drops the connection
                    // mid-command as a successful empty response. Treat it like a transport failure.
                    if response.count < 2, Self.cardLeft(handle: handle, within: probeWindow) {
                        throw PCSCError(code: PCSCError.SCARD_W_REMOVED_CARD.code, function: "SCardTransmit")
                    }
                    return response
                } catch where Self.mayMeanRemoval(error) {
                    if Self.cardLeft(handle: handle, within: probeWindow) {
                        throw PCSCError(code: PCSCError.SCARD_W_REMOVED_CARD.code, function: "SCardTransmit")
                    }
                    throw error
                }
            }
        } catch {
            throw error.cardError
        }
    }

    /// `SCardDisconnect(SCARD_LEAVE_CARD)`: ends the session, leaves the card powered for the next one. Idempotent;
    /// errors (card already gone) are ignored.
    public func disconnect() async {
        guard !disconnected.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let handle = self.handle
        _ = try? await worker.run { () throws(PCSCError) in
            _ = SCardDisconnect(handle, DWORD(SCARD_LEAVE_CARD))
        }
    }

    // MARK: blocking calls (I/O thread)

    private static func transmit(handle: Int, protocol: PCSCProtocol, command: [UInt8]) throws(PCSCError) -> [UInt8] {
        let pci: UnsafePointer<SCARD_IO_REQUEST>! =
            switch `protocol` {
            case .t0: CPCSCLite_pciT0()
            case .raw: CPCSCLite_pciRaw()
            default: CPCSCLite_pciT1()
            }
        let capacity = Int(CPCSCLite_maxBufferSizeExtended)
        var received = 0
        var rv = 0
        let response = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
            var length = DWORD(capacity)
            rv = command.withUnsafeBufferPointer { sent in
                SCardTransmit(handle, pci, sent.baseAddress, DWORD(sent.count), nil, buffer.baseAddress, &length)
            }
            received = rv == 0 ? min(Int(length), capacity) : 0
            count = received
        }
        try PCSCError.check(rv, "SCardTransmit")
        return response
    }

    /// Transport failures that a pulled card produces before pcscd has noticed the removal.
    private static func mayMeanRemoval(_ error: PCSCError) -> Bool {
        switch error {
        case .SCARD_E_NOT_TRANSACTED, .SCARD_E_COMM_DATA_LOST, .SCARD_W_UNRESPONSIVE_CARD, .SCARD_W_UNPOWERED_CARD:
            true
        default:
            false
        }
    }

    /// Polls `SCardStatus` every 20 ms for up to `window`: `true` once pcscd reports the card removed or absent.
    private static func cardLeft(handle: Int, within window: Duration) -> Bool {
        let deadline = ContinuousClock.now + window
        while true {
            do {
                let status = try status(handle: handle)
                if status.state & DWORD(SCARD_PRESENT) == 0 { return true }
            } catch {
                if error.isCardGone { return true }
                if !mayMeanRemoval(error) { return false }
            }
            if ContinuousClock.now >= deadline { return false }
            usleep(20_000)
        }
    }

    /// `SCardStatus` on a card handle: reader state bits (`SCARD_ABSENT`, `SCARD_PRESENT`, … `SCARD_SPECIFIC`) and
    /// the ATR.
    static func status(handle: Int) throws(PCSCError) -> (state: DWORD, atr: [UInt8]) {
        var nameLength: DWORD = 0
        var state: DWORD = 0
        var proto: DWORD = 0
        var atrLength = DWORD(MAX_ATR_SIZE)
        var atr = [UInt8](repeating: 0, count: Int(MAX_ATR_SIZE))
        let rv = SCardStatus(handle, nil, &nameLength, &state, &proto, &atr, &atrLength)
        try PCSCError.check(rv, "SCardStatus")
        return (state, Array(atr.prefix(min(Int(atrLength), atr.count))))
    }
}
