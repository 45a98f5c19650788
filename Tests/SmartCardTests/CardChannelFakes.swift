import KioskCore
import SmartCard
import VirtualCard

/// A card channel that replays a fixed list of exchanges in order. A command that differs from the next expected
/// one is recorded in ``mismatches`` and answered `6F 00`; commands past the end are answered `6D 00`.
actor ReplayCardChannel: CardChannel {
    nonisolated let atr: [UInt8]
    private var script: [APDUExchange]
    private(set) var sent: [[UInt8]] = []
    private(set) var mismatches: [(expected: [UInt8]?, got: [UInt8])] = []

    init(_ exchanges: [APDUExchange], atr: [UInt8] = PBOCCardImage.defaultATR) {
        self.script = exchanges
        self.atr = atr
    }

    /// Commands of the script not yet sent.
    var remaining: Int { script.count }

    func transmitRaw(_ command: [UInt8]) async throws -> [UInt8] {
        sent.append(command)
        guard let next = script.first else {
            mismatches.append((nil, command))
            return [0x6D, 0x00]
        }
        guard next.command == command else {
            mismatches.append((next.command, command))
            return [0x6F, 0x00]
        }
        script.removeFirst()
        return next.response
    }

    var mismatchDescription: String {
        mismatches.map { "expected \($0.expected?.hexString ?? "nothing") got \($0.got.hexString)" }
            .joined(separator: "; ")
    }
}

/// A card channel over a ``CardImage`` in memory (what the vpcd client does over TCP, minus the socket).
/// `removeAfter` makes the card leave the field after that many commands (transmit throws `cardRemoved`).
actor ImageCardChannel<Image: CardImage>: CardChannel {
    nonisolated let atr: [UInt8]
    private var image: Image
    private let removeAfter: Int?
    private(set) var sent: [[UInt8]] = []
    private(set) var exchanges: [APDUExchange] = []

    init(_ image: Image, removeAfter: Int? = nil) {
        self.image = image
        self.atr = image.atr
        self.removeAfter = removeAfter
    }

    func transmitRaw(_ command: [UInt8]) async throws -> [UInt8] {
        if let removeAfter, sent.count >= removeAfter { throw CardError.cardRemoved }
        sent.append(command)
        let response = image.respond(to: command)
        exchanges.append(APDUExchange(command: command, response: response))
        return response
    }
}
