/// What a virtual card does: its ATR and its answer to each command APDU.
///
/// A card image is a value with the card's state (selected application, file); the vpcd client owns one copy per
/// insertion, and `reset()` is called on power-on/reset.
public protocol CardImage: Sendable {
    /// Answer-to-reset bytes (ISO/IEC 7816-3 §8).
    var atr: [UInt8] { get }
    /// Answers one C-APDU with an R-APDU (data + SW1 SW2).
    mutating func respond(to command: [UInt8]) -> [UInt8]
    /// Power-on or warm reset: forget selections.
    mutating func reset()
}

extension CardImage {
    public mutating func reset() {}
}
