import Dispatch
import Foundation
public import SmartCard
import Synchronization

/// Plays a GA 467 SAM ID-card module on a descriptor: the primary side of a ``SmartCard/PseudoTerminal`` whose
/// replica the reader under test opens (DESIGN.md §6), or any other byte stream.
///
/// It answers exactly as cards.md §8.3 shows: find `9F` with four zero bytes (or `80`), select `90` with eight zero
/// bytes (or `81`), read `30 01` with `01 00 04 00`, the text block and the photo (the 1 295-byte frame whose
/// checksum for ``SAMCardImage/wangXiaoce`` is `B5`), or `41` when no card is selected. A read ends the selection,
/// so the next read needs find and select again. Also: `30 10` (with fingerprint), `30 03` (extra address or `91`),
/// reset/status `90`, SAM id `90` + 16 bytes, `21` for any other command, `10` for a frame with a bad checksum.
///
/// Controls (thread-safe; they take effect for the next command): ``insert(_:)`` / ``removeCard()``,
/// ``takeCardAwayDuringNextRead()``, ``corruptNextReply(to:)``, ``isSilent``, ``replyChunkSize`` with
/// ``replyChunkDelay``, ``replyDelay``, ``pacing``. What arrived is in ``receivedCommands``.
///
/// Call ``stop()`` when done: the serving thread holds the emulator until then.
public final class SAMModuleEmulator: Sendable {
    /// One command as received.
    public struct ReceivedCommand: Sendable {
        public var command: SAMCommand
        public var at: ContinuousClock.Instant
    }

    private struct State {
        var card: SAMCardImage?
        var selected = false
        var takeAwayOnNextRead = false
        var corruptNextReply = false
        var corruptOnly: SAMCommand?
        var silent = false
        var chunkSize: Int?
        var chunkDelay = Duration.milliseconds(1)
        var replyDelay = Duration.zero
        var pacing: SerialSpeed?
        var received: [ReceivedCommand] = []
        var badFrames = 0
    }

    private let descriptor: Int32
    private let state: Mutex<State>
    private let cancellation = SerialCancellation()
    private let stopped = DispatchSemaphore(value: 0)
    private let started = Atomic<Bool>(false)

    /// An emulator on `descriptor` (not closed by the emulator) with `card` in the field, or none.
    public init(descriptor: Int32, card: SAMCardImage? = .wangXiaoce) {
        self.descriptor = descriptor
        state = Mutex(State(card: card))
    }

    /// An emulator on the primary side of `pseudoTerminal`.
    public convenience init(pseudoTerminal: PseudoTerminal, card: SAMCardImage? = .wangXiaoce) {
        self.init(descriptor: pseudoTerminal.primary, card: card)
    }

    deinit { cancellation.cancel() }

    /// Starts answering on a thread of its own. Idempotent.
    public func start() {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let thread = Thread { [self] in
            serve()
            stopped.signal()
        }
        thread.name = "sam-emulator"
        thread.start()
    }

    /// Stops answering and waits (up to 2 s) for the thread to leave. The descriptor stays open.
    public func stop() {
        cancellation.cancel()
        if started.load(ordering: .acquiring) { _ = stopped.wait(timeout: .now() + 2) }
    }

    // MARK: controls

    /// Puts `card` into the field (replacing any other).
    public func insert(_ card: SAMCardImage) {
        state.withLock {
            $0.card = card
            $0.selected = false
        }
    }

    /// Takes the card away.
    public func removeCard() {
        state.withLock {
            $0.card = nil
            $0.selected = false
        }
    }

    public var isCardPresent: Bool { state.withLock { $0.card != nil } }

    /// The next read finds the card gone: it answers `AA AA AA 96 69 00 04 00 00 41 45` and the field is empty.
    public func takeCardAwayDuringNextRead() { state.withLock { $0.takeAwayOnNextRead = true } }

    /// The next reply (to `command` only, when given) goes out with its checksum byte flipped.
    public func corruptNextReply(to command: SAMCommand? = nil) {
        state.withLock {
            $0.corruptNextReply = true
            $0.corruptOnly = command
        }
    }

    /// While `true`, commands are read and recorded but never answered (a hung module).
    public var isSilent: Bool {
        get { state.withLock { $0.silent } }
        set { state.withLock { $0.silent = newValue } }
    }

    /// When set, replies go out in writes of this many bytes, ``replyChunkDelay`` apart. `nil`: one write.
    public var replyChunkSize: Int? {
        get { state.withLock { $0.chunkSize } }
        set { state.withLock { $0.chunkSize = newValue.map { max(1, $0) } } }
    }

    /// Pause between two chunks. Default 1 ms.
    public var replyChunkDelay: Duration {
        get { state.withLock { $0.chunkDelay } }
        set { state.withLock { $0.chunkDelay = newValue } }
    }

    /// Pause before every reply (a module's processing time). Default none.
    public var replyDelay: Duration {
        get { state.withLock { $0.replyDelay } }
        set { state.withLock { $0.replyDelay = newValue } }
    }

    /// When set, replies are paced to this line speed (64-byte writes, each followed by its time on the wire), so
    /// reads take as long as on a real serial line; a pty alone delivers at memory speed. `nil` by default.
    public var pacing: SerialSpeed? {
        get { state.withLock { $0.pacing } }
        set { state.withLock { $0.pacing = newValue } }
    }

    /// Every command received, in order.
    public var receivedCommands: [ReceivedCommand] { state.withLock { $0.received } }

    /// How many times `command` arrived.
    public func count(of command: SAMCommand) -> Int {
        state.withLock { $0.received.count { $0.command == command } }
    }

    /// Host frames dropped for a bad checksum or length.
    public var badFrameCount: Int { state.withLock { $0.badFrames } }

    // MARK: serving

    private func serve() {
        let port = SerialPort(adopting: descriptor, name: "sam-emulator", cancellation: cancellation)
        var decoder = SAMFrameDecoder.forCommands()
        while !cancellation.isCancelled {
            do {
                decoder.append(try port.read(timeout: .seconds(1)))
                while let output = decoder.next() {
                    let reply: SAMResponse?
                    var command: SAMCommand?
                    switch output {
                    case .frame(let body):
                        command = SAMCommand(body: body)
                        reply = command.flatMap(answer(to:))
                    case .dropped(let reason):
                        state.withLock { $0.badFrames += 1 }
                        let silent = state.withLock { $0.silent }
                        if silent {
                            reply = nil
                        } else if case .badChecksum = reason {
                            reply = SAMResponse(status: .checksumError)
                        } else {
                            reply = SAMResponse(status: .lengthError)
                        }
                    }
                    if let reply { try send(reply, to: command, on: port) }
                }
            } catch where error.code == .cancelled {
                break
            } catch {
                // No replica open (pty hang-up) or a transient error: wait and listen again.
                cancellation.sleep(for: .milliseconds(20))
            }
        }
        port.close()
    }

    /// The reply to one command, updating the field; `nil` while silent.
    private func answer(to command: SAMCommand) -> SAMResponse? {
        state.withLock { state -> SAMResponse? in
            state.received.append(ReceivedCommand(command: command, at: .now))
            guard !state.silent else { return nil }
            switch (command.command, command.parameter) {
            case (0x20, 0x01):
                state.selected = false
                return state.card == nil
                    ? SAMResponse(status: .noCard) : SAMResponse(status: .cardFound, data: [0, 0, 0, 0])
            case (0x20, 0x02):
                guard state.card != nil else { return SAMResponse(status: .selectFailed) }
                state.selected = true
                return SAMResponse(status: .success, data: [UInt8](repeating: 0, count: 8))
            case (0x30, 0x01), (0x30, 0x10):
                defer { state.selected = false }
                if state.takeAwayOnNextRead {
                    state.takeAwayOnNextRead = false
                    state.card = nil
                }
                guard let card = state.card, state.selected else { return SAMResponse(status: .readFailed) }
                let data = command.parameter == 0x01 ? card.readReplyData : card.readWithFingerprintReplyData
                return SAMResponse(status: .success, data: data)
            case (0x30, 0x03):
                guard let card = state.card else { return SAMResponse(status: .readFailed) }
                return card.extraAddress.map { SAMResponse(status: .success, data: $0) }
                    ?? SAMResponse(status: .noContent)
            case (0x10, 0xFF), (0x11, 0xFF):
                return SAMResponse(status: .success)
            case (0x12, 0xFF):
                return SAMResponse(status: .success, data: Array(0x01...0x10))
            default:
                return SAMResponse(status: .commandError)
            }
        }
    }

    private func send(_ reply: SAMResponse, to command: SAMCommand?, on port: SerialPort) throws(SerialError) {
        var (corrupt, chunkSize, chunkDelay, replyDelay, pacing) = state.withLock { state in
            let corrupt = state.corruptNextReply && (state.corruptOnly == nil || state.corruptOnly == command)
            if corrupt { state.corruptNextReply = false }
            return (corrupt, state.chunkSize, state.chunkDelay, state.replyDelay, state.pacing)
        }
        if let pacing {
            chunkSize = chunkSize ?? 64
            chunkDelay = pacing.transferTime(byteCount: chunkSize!)
        }
        var frame = reply.encoded()
        if corrupt { frame[frame.count - 1] ^= 0xFF }
        if replyDelay > .zero, cancellation.sleep(for: replyDelay) { throw .cancelled }
        guard let chunkSize else {
            try port.write(frame, timeout: .seconds(2))
            return
        }
        var offset = 0
        while offset < frame.count {
            let end = min(offset + chunkSize, frame.count)
            try port.write(Array(frame[offset..<end]), timeout: .seconds(2))
            offset = end
            if offset < frame.count || pacing != nil, cancellation.sleep(for: chunkDelay) { throw .cancelled }
        }
    }
}
