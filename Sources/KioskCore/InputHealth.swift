public import Foundation

/// How one input device is doing, as its source reports it to `kioskd` (for the watchdog, `STATUS=` and
/// diagnostics). Values only: no identity ever appears here.
public struct InputHealth: Sendable, Hashable, CustomStringConvertible {
    /// What kind of input: a PC/SC reader, a SAM ID-card reader, a barcode scanner.
    public enum Kind: String, Sendable, Hashable {
        case pcscReader = "pcsc"
        case samReader = "sam"
        case scannerEvdev = "scanner-evdev"
        case scannerHIDPOS = "scanner-hidpos"
        case scannerSerial = "scanner-serial"
    }

    public enum State: Sendable, Hashable {
        /// Open and answering.
        case ready
        /// Not present (unplugged, not yet attached).
        case absent
        /// Present but failing: the reason says what is wrong, in words a technician can act on.
        case failing(String)
    }

    public var kind: Kind
    /// Stable name: device node, reader name or configured path.
    public var name: String
    public var state: State
    /// When the state last changed.
    public var since: Date

    public init(kind: Kind, name: String, state: State, since: Date = Date()) {
        self.kind = kind
        self.name = name
        self.state = state
        self.since = since
    }

    public var description: String {
        switch state {
        case .ready: "\(kind.rawValue) \(name): ready"
        case .absent: "\(kind.rawValue) \(name): absent"
        case .failing(let reason): "\(kind.rawValue) \(name): failing (\(reason))"
        }
    }
}
