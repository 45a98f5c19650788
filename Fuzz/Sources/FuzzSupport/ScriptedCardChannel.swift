public import SmartCard
public import VirtualCard

/// A card whose answers are the fuzzer's bytes: the input is a list of responses, each a big-endian 16-bit length and
/// that many bytes (data + SW1 SW2), served in order whatever the command. When the list runs out the card answers
/// `6A 82` (file not found); after ``limit`` commands it is taken away (``CardError/cardRemoved``), as
/// ``CardRouter``'s APDU budget would end the session, so no input keeps a profile busy for long.
///
/// Every command the profile sends is checked to be a well-formed short APDU (ISO/IEC 7816-4 §5.1): a profile must not
/// build a command the reader would reject from what a card said.
public actor ScriptedCardChannel: CardChannel {
    public nonisolated let atr: [UInt8]
    private var responses: [[UInt8]]
    private var next = 0
    public let limit: Int
    public private(set) var sent: [[UInt8]] = []

    public init(atr: [UInt8] = [0x3B, 0x00], responses: [[UInt8]], limit: Int = 256) {
        self.atr = atr
        self.responses = responses
        self.limit = limit
    }

    /// Responses in the input format: 16-bit length, bytes; a length past the end takes what is left.
    public static func responses(from bytes: [UInt8]) -> [[UInt8]] {
        var input = FuzzInput(bytes: bytes)
        var out: [[UInt8]] = []
        while !input.isAtEnd {
            out.append(input.take(Int(input.uint16())))
        }
        return out
    }

    /// The input format for `responses` (for seeds).
    public static func encode(_ responses: [[UInt8]]) -> [UInt8] {
        responses.flatMap { [UInt8($0.count >> 8), UInt8($0.count & 0xFF)] + $0 }
    }

    public func transmitRaw(_ command: [UInt8]) async throws -> [UInt8] {
        invariant(Self.isWellFormedShortAPDU(command), "malformed command APDU of \(command.count) bytes")
        sent.append(command)
        guard sent.count <= limit else { throw CardError.cardRemoved }
        guard next < responses.count else { return [0x6A, 0x82] }
        defer { next += 1 }
        return responses[next]
    }

    /// CLA INS P1 P2, then nothing (case 1), Le (case 2), Lc ≥ 1 and Lc bytes (case 3), or those and Le (case 4).
    static func isWellFormedShortAPDU(_ c: [UInt8]) -> Bool {
        if c.count == 4 || c.count == 5 { return true }
        guard c.count > 5, c[4] != 0 else { return false }
        let lc = Int(c[4])
        return c.count == 5 + lc || c.count == 6 + lc
    }
}

/// Records what a real card image answers a profile, to make seeds in ``ScriptedCardChannel``'s format.
public actor RecordingCardChannel<Base: CardChannel>: CardChannel {
    public nonisolated let atr: [UInt8]
    private let base: Base
    public private(set) var responses: [[UInt8]] = []

    public init(_ base: Base) {
        self.base = base
        self.atr = base.atr
    }

    public func transmitRaw(_ command: [UInt8]) async throws -> [UInt8] {
        let response = try await base.transmitRaw(command)
        responses.append(response)
        return response
    }
}

/// A card image of VirtualCard (the emulators the tests use) as a channel in memory.
public actor ImageCardChannel<Image: CardImage>: CardChannel {
    public nonisolated let atr: [UInt8]
    private var image: Image

    public init(_ image: Image) {
        self.image = image
        self.atr = image.atr
    }

    public func transmitRaw(_ command: [UInt8]) async throws -> [UInt8] { image.respond(to: command) }
}
