import SmartCard

/// A card image that answers from a table: command bytes → response bytes, anything else a default (`6D 00`,
/// instruction not supported). For tests that need one exact exchange, a malformed answer, or a card type that
/// has no image of its own yet.
///
/// ```swift
/// var card = ScriptedCardImage(responses: [
///     "00 A4 04 00 0E 32 50 41 59 2E 53 59 53 2E 44 44 46 30 31 00": "6A 82",
/// ])
/// ```
///
/// It records the commands it received in ``received``, so a test can check what a reader sent.
public struct ScriptedCardImage: CardImage {
    public var atr: [UInt8]
    public var responses: [[UInt8]: [UInt8]]
    public var defaultResponse: [UInt8]
    /// Every command received since creation (not cleared by ``reset()``), in order.
    public private(set) var received: [[UInt8]] = []

    public init(
        atr: [UInt8] = PBOCCardImage.defaultATR, responses: [[UInt8]: [UInt8]], defaultResponse: [UInt8] = [0x6D, 0x00]
    ) {
        self.atr = atr
        self.responses = responses
        self.defaultResponse = defaultResponse
    }

    /// Builds the table from hex strings (spaces allowed). Invalid hex is a programmer error and traps.
    public init(
        atr: [UInt8] = PBOCCardImage.defaultATR, responses: [String: String], defaultResponse: String = "6D 00"
    ) {
        func bytes(_ hex: String) -> [UInt8] {
            guard let value = [UInt8](hex: hex) else { preconditionFailure("invalid hex in script: \(hex)") }
            return value
        }
        var table: [[UInt8]: [UInt8]] = [:]
        for (command, response) in responses { table[bytes(command)] = bytes(response) }
        self.init(atr: atr, responses: table, defaultResponse: bytes(defaultResponse))
    }

    public mutating func respond(to command: [UInt8]) -> [UInt8] {
        received.append(command)
        return responses[command] ?? defaultResponse
    }
}
