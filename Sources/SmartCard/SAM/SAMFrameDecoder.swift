public import Logging

/// Cuts a byte stream from a serial line into GA 467 frame bodies (``SAMFrame``), never trusting what arrives.
///
/// - Resynchronises on the preamble `AA AA AA 96 69`: bytes before it are noise, counted and skipped.
/// - Handles a frame split at any byte (it waits for the rest) and several frames in one read (call ``next()``
///   until `nil`).
/// - Drops a frame whose LEN is below ``minimumLength`` or above ``maximumLength``, or whose checksum is wrong, with
///   the reason logged at debug and returned as ``Output/dropped(_:)``. After a drop it rescans from the byte after
///   the dropped frame's first preamble byte, so a real frame hidden behind a lying length is still found.
///
/// ```swift
/// var decoder = SAMFrameDecoder.forReplies(logger: logger)
/// decoder.append(bytesFromTheLine)
/// while let output = decoder.next() {
///     if case .frame(let body) = output, let reply = SAMResponse(body: body) { … }
/// }
/// ```
public struct SAMFrameDecoder: Sendable {
    /// What ``next()`` found.
    public enum Output: Sendable, Hashable {
        /// A checked frame's body (between LEN and CHK).
        case frame([UInt8])
        /// A frame that was not accepted, and why.
        case dropped(DropReason)
    }

    /// Why a frame was dropped.
    public enum DropReason: Sendable, Hashable, CustomStringConvertible {
        /// The XOR of LEN..body is `computed` but the frame says `received`.
        case badChecksum(computed: UInt8, received: UInt8)
        /// LEN is below the shortest frame of this direction.
        case lengthTooShort(Int)
        /// LEN is above the longest frame expected (a lying or corrupt length).
        case lengthTooLong(Int)

        public var description: String {
            switch self {
            case .badChecksum(let computed, let received):
                "bad checksum: computed \([computed].hexString), frame says \([received].hexString)"
            case .lengthTooShort(let length): "length \(length) below the minimum"
            case .lengthTooLong(let length): "length \(length) above the maximum"
            }
        }
    }

    /// Smallest LEN accepted: 3 for commands (`CMD PARA CHK`), 4 for replies (`SW1 SW2 SW3 CHK`).
    public let minimumLength: Int
    /// Largest LEN accepted. The longest known reply (`30 10`) has LEN `09 0A` = 2 314.
    public let maximumLength: Int
    private let logger: Logger

    private var buffer: [UInt8] = []
    private var start = 0
    /// Bytes skipped as noise (not part of any frame) since creation.
    public private(set) var noiseByteCount = 0
    /// Frames dropped since creation.
    public private(set) var droppedFrameCount = 0

    public init(
        minimumLength: Int = 3, maximumLength: Int = 0x0A00,
        logger: Logger = Logger(label: "kiosk.sam.frames", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.minimumLength = minimumLength
        self.maximumLength = maximumLength
        self.logger = logger
    }

    /// A decoder for SAM → host replies (LEN 4 … 2 560).
    public static func forReplies(
        logger: Logger = Logger(label: "kiosk.sam.frames", factory: { _ in SwiftLogNoOpLogHandler() })
    ) -> SAMFrameDecoder {
        SAMFrameDecoder(minimumLength: 4, logger: logger)
    }

    /// A decoder for host → SAM commands (LEN 3 … 2 560), for emulators.
    public static func forCommands(
        logger: Logger = Logger(label: "kiosk.sam.frames", factory: { _ in SwiftLogNoOpLogHandler() })
    ) -> SAMFrameDecoder {
        SAMFrameDecoder(minimumLength: 3, logger: logger)
    }

    /// Bytes held: a partial frame, or a tail that may begin a preamble.
    public var pendingByteCount: Int { buffer.count - start }

    /// Adds bytes read from the line.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        if start > 0, start >= 4096 || start * 2 >= buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Forgets everything held (e.g. before a new command, after a timeout). Returns how many bytes were discarded.
    @discardableResult
    public mutating func reset() -> Int {
        let discarded = pendingByteCount
        buffer.removeAll(keepingCapacity: true)
        start = 0
        return discarded
    }

    /// The next frame or drop, or `nil` when more bytes are needed.
    public mutating func next() -> Output? {
        let preamble = SAMFrame.preamble
        while true {
            guard let found = findPreamble() else { return nil }
            if found > start {
                noiseByteCount += found - start
                logger.trace("sam noise skipped", metadata: ["kiosk.bytes": "\(found - start)"])
                start = found
            }
            guard buffer.count - start >= SAMFrame.headerCount else { return nil }
            let length = Int(buffer[start + 5]) << 8 | Int(buffer[start + 6])
            if length < minimumLength { return drop(.lengthTooShort(length)) }
            if length > maximumLength { return drop(.lengthTooLong(length)) }
            let total = SAMFrame.headerCount + length
            guard buffer.count - start >= total else { return nil }
            let checksumIndex = start + total - 1
            let computed = SAMFrame.checksum(buffer[(start + preamble.count)..<checksumIndex])
            guard computed == buffer[checksumIndex] else {
                return drop(.badChecksum(computed: computed, received: buffer[checksumIndex]))
            }
            let body = Array(buffer[(start + SAMFrame.headerCount)..<checksumIndex])
            start += total
            return .frame(body)
        }
    }

    /// Gives up on the frame being assembled (its length promised more than arrived): rescans from its second byte.
    /// Call after a timeout, then ``next()`` again. Returns whether there was a partial frame.
    @discardableResult
    public mutating func abandonPartialFrame() -> Bool {
        guard findPreamble() == start, pendingByteCount >= SAMFrame.headerCount else { return false }
        logger.debug("sam partial frame abandoned", metadata: ["kiosk.bytes": "\(pendingByteCount)"])
        droppedFrameCount += 1
        start += 1
        return true
    }

    private mutating func drop(_ reason: DropReason) -> Output {
        droppedFrameCount += 1
        logger.debug("sam frame dropped", metadata: ["kiosk.reason": "\(reason)"])
        start += 1
        return .dropped(reason)
    }

    /// Index of the first full preamble at or after `start`; when there is none, drops what cannot start one (keeping
    /// a tail that is a proper prefix of the preamble) and returns `nil`.
    private mutating func findPreamble() -> Int? {
        let preamble = SAMFrame.preamble
        var index = start
        while index + preamble.count <= buffer.count {
            if buffer[index] == preamble[0], buffer[index..<(index + preamble.count)].elementsEqual(preamble) {
                return index
            }
            index += 1
        }
        // No full preamble: keep the longest tail that could still become one.
        var keep = min(preamble.count - 1, buffer.count - start)
        while keep > 0, !buffer[(buffer.count - keep)...].elementsEqual(preamble[0..<keep]) { keep -= 1 }
        let skipped = buffer.count - keep - start
        if skipped > 0 {
            noiseByteCount += skipped
            logger.trace("sam noise skipped", metadata: ["kiosk.bytes": "\(skipped)"])
            start = buffer.count - keep
        }
        return nil
    }
}
