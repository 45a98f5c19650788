/// A card that answers nothing useful: a dead chip, a card of an unknown scheme, or one that answers garbage. The
/// router must give up on it cleanly (``SmartCard/CardError/unsupportedCard``), within its APDU budget.
public struct DeadCardImage: CardImage {
    public enum Behaviour: Sendable, Hashable {
        /// `6D 00` (instruction not supported) to every command.
        case instructionNotSupported
        /// One byte (`6D`) to every command: shorter than a status word.
        case oneByte
        /// 1022 bytes of a repeating pattern followed by `90 00`: an oversized "success" that parses as nothing.
        case oversized
    }

    /// `3B 80 80 01 01`: no historical bytes, T=0 and T=1 offered, TCK.
    public static let defaultATR: [UInt8] = [0x3B, 0x80, 0x80, 0x01, 0x01]

    public var atr: [UInt8]
    public var behaviour: Behaviour
    /// Commands received so far (not cleared by reset).
    public private(set) var received = 0

    public init(_ behaviour: Behaviour = .instructionNotSupported, atr: [UInt8] = DeadCardImage.defaultATR) {
        self.behaviour = behaviour
        self.atr = atr
    }

    public mutating func respond(to command: [UInt8]) -> [UInt8] {
        received += 1
        switch behaviour {
        case .instructionNotSupported: return [0x6D, 0x00]
        case .oneByte: return [0x6D]
        case .oversized: return (0..<1022).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 0xA5) } + [0x90, 0x00]
        }
    }
}
