/// A result code from pcsc-lite other than `SCARD_S_SUCCESS`, under its `SCARD_*` name.
///
/// Codes are the `LONG` values of pcsc-lite's `pcsclite.h` (PC/SC Workgroup specification part 5 §3.3). On Linux x86_64
/// `LONG` is 64 bits wide, so they are positive: `SCARD_E_TIMEOUT.code == 0x8010000A == 2148532234`.
///
/// Equality and hashing use ``code`` only, so the failing function does not matter when matching:
///
/// ```swift
/// do { try context.listReaders() }
/// catch PCSCError.SCARD_E_NO_SERVICE { /* pcscd is not running */ }
/// ```
///
/// Card sessions (``PCSCCardChannel``) do not throw this type: they throw ``CardError``, built with ``cardError``.
public struct PCSCError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The pcsc-lite result code (`LONG`).
    public let code: Int
    /// The pcsc-lite function that returned it (`"SCardConnect"`), when known.
    public let function: String?

    public init(code: Int, function: String? = nil) {
        self.code = code
        self.function = function
    }

    /// The `SCARD_*` name, or `0x…` for a code pcsc-lite does not define.
    public var name: String {
        Self.names[code] ?? "0x" + String(UInt64(truncatingIfNeeded: code), radix: 16, uppercase: true)
    }

    public var description: String {
        if let function { "\(function): \(name)" } else { name }
    }

    public static func == (lhs: PCSCError, rhs: PCSCError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// Lets `catch PCSCError.SCARD_E_TIMEOUT` match any thrown `PCSCError` with that code.
    public static func ~= (pattern: PCSCError, error: any Error) -> Bool {
        (error as? PCSCError)?.code == pattern.code
    }

    /// pcscd is gone or was restarted, so the context (and every handle made from it) is dead: release it and
    /// establish a new one. `SCARD_E_NO_SERVICE` (not running), `SCARD_E_SERVICE_STOPPED`, `SCARD_F_COMM_ERROR`
    /// (socket to pcscd broken), `SCARD_E_INVALID_HANDLE` (pcscd restarted and no longer knows the context),
    /// `SCARD_P_SHUTDOWN`.
    public var isServiceLost: Bool {
        switch self {
        case .SCARD_E_NO_SERVICE, .SCARD_E_SERVICE_STOPPED, .SCARD_F_COMM_ERROR, .SCARD_E_INVALID_HANDLE,
            .SCARD_P_SHUTDOWN:
            true
        default:
            false
        }
    }

    /// The card left the reader, was reset by another application, or was never there:
    /// `SCARD_W_REMOVED_CARD`, `SCARD_W_RESET_CARD`, `SCARD_E_NO_SMARTCARD`.
    public var isCardGone: Bool {
        switch self {
        case .SCARD_W_REMOVED_CARD, .SCARD_W_RESET_CARD, .SCARD_E_NO_SMARTCARD: true
        default: false
        }
    }

    /// The error as a card session reports it: ``CardError/cardRemoved`` when ``isCardGone``, otherwise
    /// ``CardError/reader(name:code:)`` with the `SCARD_*` name.
    public var cardError: CardError {
        isCardGone ? .cardRemoved : .reader(name: name, code: code)
    }
}

extension PCSCError {
    /// Throws unless `result` is `SCARD_S_SUCCESS`.
    @inline(__always)
    static func check(_ result: Int, _ function: StaticString) throws(PCSCError) {
        if result != 0 { throw PCSCError(code: result, function: "\(function)") }
    }
}
