internal import CPCSCLite

// Generated from /usr/include/PCSC/pcsclite.h (pcsc-lite 1.9.9): one constant per SCARD_* result code, with the
// header's own one-line description. The values come from the C macros, so they follow the platform (positive Int on
// Linux x86_64, e.g. SCARD_E_TIMEOUT == 2148532234 == 0x8010000A).

extension PCSCError {
    /// 0x80100001: An internal consistency check failed.
    public static let SCARD_F_INTERNAL_ERROR = PCSCError(code: CPCSCLite.SCARD_F_INTERNAL_ERROR)
    /// 0x80100002: The action was cancelled by an SCardCancel request.
    public static let SCARD_E_CANCELLED = PCSCError(code: CPCSCLite.SCARD_E_CANCELLED)
    /// 0x80100003: The supplied handle was invalid.
    public static let SCARD_E_INVALID_HANDLE = PCSCError(code: CPCSCLite.SCARD_E_INVALID_HANDLE)
    /// 0x80100004: One or more of the supplied parameters could not be properly interpreted.
    public static let SCARD_E_INVALID_PARAMETER = PCSCError(code: CPCSCLite.SCARD_E_INVALID_PARAMETER)
    /// 0x80100005: Registry startup information is missing or invalid.
    public static let SCARD_E_INVALID_TARGET = PCSCError(code: CPCSCLite.SCARD_E_INVALID_TARGET)
    /// 0x80100006: Not enough memory available to complete this command.
    public static let SCARD_E_NO_MEMORY = PCSCError(code: CPCSCLite.SCARD_E_NO_MEMORY)
    /// 0x80100007: An internal consistency timer has expired.
    public static let SCARD_F_WAITED_TOO_LONG = PCSCError(code: CPCSCLite.SCARD_F_WAITED_TOO_LONG)
    /// 0x80100008: The data buffer to receive returned data is too small for the returned data.
    public static let SCARD_E_INSUFFICIENT_BUFFER = PCSCError(code: CPCSCLite.SCARD_E_INSUFFICIENT_BUFFER)
    /// 0x80100009: The specified reader name is not recognized.
    public static let SCARD_E_UNKNOWN_READER = PCSCError(code: CPCSCLite.SCARD_E_UNKNOWN_READER)
    /// 0x8010000A: The user-specified timeout value has expired.
    public static let SCARD_E_TIMEOUT = PCSCError(code: CPCSCLite.SCARD_E_TIMEOUT)
    /// 0x8010000B: The smart card cannot be accessed because of other connections outstanding.
    public static let SCARD_E_SHARING_VIOLATION = PCSCError(code: CPCSCLite.SCARD_E_SHARING_VIOLATION)
    /// 0x8010000C: The operation requires a Smart Card, but no Smart Card is currently in the device.
    public static let SCARD_E_NO_SMARTCARD = PCSCError(code: CPCSCLite.SCARD_E_NO_SMARTCARD)
    /// 0x8010000D: The specified smart card name is not recognized.
    public static let SCARD_E_UNKNOWN_CARD = PCSCError(code: CPCSCLite.SCARD_E_UNKNOWN_CARD)
    /// 0x8010000E: The system could not dispose of the media in the requested manner.
    public static let SCARD_E_CANT_DISPOSE = PCSCError(code: CPCSCLite.SCARD_E_CANT_DISPOSE)
    /// 0x8010000F: The requested protocols are incompatible with the protocol currently in use with the smart card.
    public static let SCARD_E_PROTO_MISMATCH = PCSCError(code: CPCSCLite.SCARD_E_PROTO_MISMATCH)
    /// 0x80100010: The reader or smart card is not ready to accept commands.
    public static let SCARD_E_NOT_READY = PCSCError(code: CPCSCLite.SCARD_E_NOT_READY)
    /// 0x80100011: One or more of the supplied parameters values could not be properly interpreted.
    public static let SCARD_E_INVALID_VALUE = PCSCError(code: CPCSCLite.SCARD_E_INVALID_VALUE)
    /// 0x80100012: The action was cancelled by the system, presumably to log off or shut down.
    public static let SCARD_E_SYSTEM_CANCELLED = PCSCError(code: CPCSCLite.SCARD_E_SYSTEM_CANCELLED)
    /// 0x80100013: An internal communications error has been detected.
    public static let SCARD_F_COMM_ERROR = PCSCError(code: CPCSCLite.SCARD_F_COMM_ERROR)
    /// 0x80100014: An internal error has been detected, but the source is unknown.
    public static let SCARD_F_UNKNOWN_ERROR = PCSCError(code: CPCSCLite.SCARD_F_UNKNOWN_ERROR)
    /// 0x80100015: An ATR obtained from the registry is not a valid ATR string.
    public static let SCARD_E_INVALID_ATR = PCSCError(code: CPCSCLite.SCARD_E_INVALID_ATR)
    /// 0x80100016: An attempt was made to end a non-existent transaction.
    public static let SCARD_E_NOT_TRANSACTED = PCSCError(code: CPCSCLite.SCARD_E_NOT_TRANSACTED)
    /// 0x80100017: The specified reader is not currently available for use.
    public static let SCARD_E_READER_UNAVAILABLE = PCSCError(code: CPCSCLite.SCARD_E_READER_UNAVAILABLE)
    /// 0x80100018: The operation has been aborted to allow the server application to exit.
    public static let SCARD_P_SHUTDOWN = PCSCError(code: CPCSCLite.SCARD_P_SHUTDOWN)
    /// 0x80100019: The PCI Receive buffer was too small.
    public static let SCARD_E_PCI_TOO_SMALL = PCSCError(code: CPCSCLite.SCARD_E_PCI_TOO_SMALL)
    /// 0x8010001A: The reader driver does not meet minimal requirements for support.
    public static let SCARD_E_READER_UNSUPPORTED = PCSCError(code: CPCSCLite.SCARD_E_READER_UNSUPPORTED)
    /// 0x8010001B: The reader driver did not produce a unique reader name.
    public static let SCARD_E_DUPLICATE_READER = PCSCError(code: CPCSCLite.SCARD_E_DUPLICATE_READER)
    /// 0x8010001C: The smart card does not meet minimal requirements for support.
    public static let SCARD_E_CARD_UNSUPPORTED = PCSCError(code: CPCSCLite.SCARD_E_CARD_UNSUPPORTED)
    /// 0x8010001D: The Smart card resource manager is not running.
    public static let SCARD_E_NO_SERVICE = PCSCError(code: CPCSCLite.SCARD_E_NO_SERVICE)
    /// 0x8010001E: The Smart card resource manager has shut down.
    public static let SCARD_E_SERVICE_STOPPED = PCSCError(code: CPCSCLite.SCARD_E_SERVICE_STOPPED)
    /// 0x8010001F: An unexpected card error has occurred.
    public static let SCARD_E_UNEXPECTED = PCSCError(code: CPCSCLite.SCARD_E_UNEXPECTED)
    /// 0x8010001F: same value as `SCARD_E_UNEXPECTED` in pcsc-lite; reported by that name.
    public static let SCARD_E_UNSUPPORTED_FEATURE = PCSCError(code: CPCSCLite.SCARD_E_UNSUPPORTED_FEATURE)
    /// 0x80100020: No primary provider can be found for the smart card.
    public static let SCARD_E_ICC_INSTALLATION = PCSCError(code: CPCSCLite.SCARD_E_ICC_INSTALLATION)
    /// 0x80100021: The requested order of object creation is not supported.
    public static let SCARD_E_ICC_CREATEORDER = PCSCError(code: CPCSCLite.SCARD_E_ICC_CREATEORDER)
    /// 0x80100023: The identified directory does not exist in the smart card.
    public static let SCARD_E_DIR_NOT_FOUND = PCSCError(code: CPCSCLite.SCARD_E_DIR_NOT_FOUND)
    /// 0x80100024: The identified file does not exist in the smart card.
    public static let SCARD_E_FILE_NOT_FOUND = PCSCError(code: CPCSCLite.SCARD_E_FILE_NOT_FOUND)
    /// 0x80100025: The supplied path does not represent a smart card directory.
    public static let SCARD_E_NO_DIR = PCSCError(code: CPCSCLite.SCARD_E_NO_DIR)
    /// 0x80100026: The supplied path does not represent a smart card file.
    public static let SCARD_E_NO_FILE = PCSCError(code: CPCSCLite.SCARD_E_NO_FILE)
    /// 0x80100027: Access is denied to this file.
    public static let SCARD_E_NO_ACCESS = PCSCError(code: CPCSCLite.SCARD_E_NO_ACCESS)
    /// 0x80100028: The smart card does not have enough memory to store the information.
    public static let SCARD_E_WRITE_TOO_MANY = PCSCError(code: CPCSCLite.SCARD_E_WRITE_TOO_MANY)
    /// 0x80100029: There was an error trying to set the smart card file object pointer.
    public static let SCARD_E_BAD_SEEK = PCSCError(code: CPCSCLite.SCARD_E_BAD_SEEK)
    /// 0x8010002A: The supplied PIN is incorrect.
    public static let SCARD_E_INVALID_CHV = PCSCError(code: CPCSCLite.SCARD_E_INVALID_CHV)
    /// 0x8010002B: An unrecognized error code was returned from a layered component.
    public static let SCARD_E_UNKNOWN_RES_MNG = PCSCError(code: CPCSCLite.SCARD_E_UNKNOWN_RES_MNG)
    /// 0x8010002C: The requested certificate does not exist.
    public static let SCARD_E_NO_SUCH_CERTIFICATE = PCSCError(code: CPCSCLite.SCARD_E_NO_SUCH_CERTIFICATE)
    /// 0x8010002D: The requested certificate could not be obtained.
    public static let SCARD_E_CERTIFICATE_UNAVAILABLE = PCSCError(code: CPCSCLite.SCARD_E_CERTIFICATE_UNAVAILABLE)
    /// 0x8010002E: Cannot find a smart card reader.
    public static let SCARD_E_NO_READERS_AVAILABLE = PCSCError(code: CPCSCLite.SCARD_E_NO_READERS_AVAILABLE)
    /// 0x8010002F: A communications error with the smart card has been detected. Retry the operation.
    public static let SCARD_E_COMM_DATA_LOST = PCSCError(code: CPCSCLite.SCARD_E_COMM_DATA_LOST)
    /// 0x80100030: The requested key container does not exist on the smart card.
    public static let SCARD_E_NO_KEY_CONTAINER = PCSCError(code: CPCSCLite.SCARD_E_NO_KEY_CONTAINER)
    /// 0x80100031: The Smart Card Resource Manager is too busy to complete this operation.
    public static let SCARD_E_SERVER_TOO_BUSY = PCSCError(code: CPCSCLite.SCARD_E_SERVER_TOO_BUSY)
    /// 0x80100065: The reader cannot communicate with the card, due to ATR string configuration conflicts.
    public static let SCARD_W_UNSUPPORTED_CARD = PCSCError(code: CPCSCLite.SCARD_W_UNSUPPORTED_CARD)
    /// 0x80100066: The smart card is not responding to a reset.
    public static let SCARD_W_UNRESPONSIVE_CARD = PCSCError(code: CPCSCLite.SCARD_W_UNRESPONSIVE_CARD)
    /// 0x80100067: Power has been removed from the smart card, so that further communication is not possible.
    public static let SCARD_W_UNPOWERED_CARD = PCSCError(code: CPCSCLite.SCARD_W_UNPOWERED_CARD)
    /// 0x80100068: The smart card has been reset, so any shared state information is invalid.
    public static let SCARD_W_RESET_CARD = PCSCError(code: CPCSCLite.SCARD_W_RESET_CARD)
    /// 0x80100069: The smart card has been removed, so further communication is not possible.
    public static let SCARD_W_REMOVED_CARD = PCSCError(code: CPCSCLite.SCARD_W_REMOVED_CARD)
    /// 0x8010006A: Access was denied because of a security violation.
    public static let SCARD_W_SECURITY_VIOLATION = PCSCError(code: CPCSCLite.SCARD_W_SECURITY_VIOLATION)
    /// 0x8010006B: The card cannot be accessed because the wrong PIN was presented.
    public static let SCARD_W_WRONG_CHV = PCSCError(code: CPCSCLite.SCARD_W_WRONG_CHV)
    /// 0x8010006C: The card cannot be accessed because the maximum number of PIN entry attempts has been reached.
    public static let SCARD_W_CHV_BLOCKED = PCSCError(code: CPCSCLite.SCARD_W_CHV_BLOCKED)
    /// 0x8010006D: The end of the smart card file has been reached.
    public static let SCARD_W_EOF = PCSCError(code: CPCSCLite.SCARD_W_EOF)
    /// 0x8010006E: The user pressed "Cancel" on a Smart Card Selection Dialog.
    public static let SCARD_W_CANCELLED_BY_USER = PCSCError(code: CPCSCLite.SCARD_W_CANCELLED_BY_USER)
    /// 0x8010006F: No PIN was presented to the smart card.
    public static let SCARD_W_CARD_NOT_AUTHENTICATED = PCSCError(code: CPCSCLite.SCARD_W_CARD_NOT_AUTHENTICATED)
}

extension PCSCError {
    /// `SCARD_*` name per result code (PC/SC part 5 §3.3 / pcsc-lite pcsclite.h).
    static let names: [Int: String] = [
        CPCSCLite.SCARD_F_INTERNAL_ERROR: "SCARD_F_INTERNAL_ERROR",
        CPCSCLite.SCARD_E_CANCELLED: "SCARD_E_CANCELLED",
        CPCSCLite.SCARD_E_INVALID_HANDLE: "SCARD_E_INVALID_HANDLE",
        CPCSCLite.SCARD_E_INVALID_PARAMETER: "SCARD_E_INVALID_PARAMETER",
        CPCSCLite.SCARD_E_INVALID_TARGET: "SCARD_E_INVALID_TARGET",
        CPCSCLite.SCARD_E_NO_MEMORY: "SCARD_E_NO_MEMORY",
        CPCSCLite.SCARD_F_WAITED_TOO_LONG: "SCARD_F_WAITED_TOO_LONG",
        CPCSCLite.SCARD_E_INSUFFICIENT_BUFFER: "SCARD_E_INSUFFICIENT_BUFFER",
        CPCSCLite.SCARD_E_UNKNOWN_READER: "SCARD_E_UNKNOWN_READER",
        CPCSCLite.SCARD_E_TIMEOUT: "SCARD_E_TIMEOUT",
        CPCSCLite.SCARD_E_SHARING_VIOLATION: "SCARD_E_SHARING_VIOLATION",
        CPCSCLite.SCARD_E_NO_SMARTCARD: "SCARD_E_NO_SMARTCARD",
        CPCSCLite.SCARD_E_UNKNOWN_CARD: "SCARD_E_UNKNOWN_CARD",
        CPCSCLite.SCARD_E_CANT_DISPOSE: "SCARD_E_CANT_DISPOSE",
        CPCSCLite.SCARD_E_PROTO_MISMATCH: "SCARD_E_PROTO_MISMATCH",
        CPCSCLite.SCARD_E_NOT_READY: "SCARD_E_NOT_READY",
        CPCSCLite.SCARD_E_INVALID_VALUE: "SCARD_E_INVALID_VALUE",
        CPCSCLite.SCARD_E_SYSTEM_CANCELLED: "SCARD_E_SYSTEM_CANCELLED",
        CPCSCLite.SCARD_F_COMM_ERROR: "SCARD_F_COMM_ERROR",
        CPCSCLite.SCARD_F_UNKNOWN_ERROR: "SCARD_F_UNKNOWN_ERROR",
        CPCSCLite.SCARD_E_INVALID_ATR: "SCARD_E_INVALID_ATR",
        CPCSCLite.SCARD_E_NOT_TRANSACTED: "SCARD_E_NOT_TRANSACTED",
        CPCSCLite.SCARD_E_READER_UNAVAILABLE: "SCARD_E_READER_UNAVAILABLE",
        CPCSCLite.SCARD_P_SHUTDOWN: "SCARD_P_SHUTDOWN",
        CPCSCLite.SCARD_E_PCI_TOO_SMALL: "SCARD_E_PCI_TOO_SMALL",
        CPCSCLite.SCARD_E_READER_UNSUPPORTED: "SCARD_E_READER_UNSUPPORTED",
        CPCSCLite.SCARD_E_DUPLICATE_READER: "SCARD_E_DUPLICATE_READER",
        CPCSCLite.SCARD_E_CARD_UNSUPPORTED: "SCARD_E_CARD_UNSUPPORTED",
        CPCSCLite.SCARD_E_NO_SERVICE: "SCARD_E_NO_SERVICE",
        CPCSCLite.SCARD_E_SERVICE_STOPPED: "SCARD_E_SERVICE_STOPPED",
        CPCSCLite.SCARD_E_UNEXPECTED: "SCARD_E_UNEXPECTED",
        CPCSCLite.SCARD_E_ICC_INSTALLATION: "SCARD_E_ICC_INSTALLATION",
        CPCSCLite.SCARD_E_ICC_CREATEORDER: "SCARD_E_ICC_CREATEORDER",
        CPCSCLite.SCARD_E_DIR_NOT_FOUND: "SCARD_E_DIR_NOT_FOUND",
        CPCSCLite.SCARD_E_FILE_NOT_FOUND: "SCARD_E_FILE_NOT_FOUND",
        CPCSCLite.SCARD_E_NO_DIR: "SCARD_E_NO_DIR",
        CPCSCLite.SCARD_E_NO_FILE: "SCARD_E_NO_FILE",
        CPCSCLite.SCARD_E_NO_ACCESS: "SCARD_E_NO_ACCESS",
        CPCSCLite.SCARD_E_WRITE_TOO_MANY: "SCARD_E_WRITE_TOO_MANY",
        CPCSCLite.SCARD_E_BAD_SEEK: "SCARD_E_BAD_SEEK",
        CPCSCLite.SCARD_E_INVALID_CHV: "SCARD_E_INVALID_CHV",
        CPCSCLite.SCARD_E_UNKNOWN_RES_MNG: "SCARD_E_UNKNOWN_RES_MNG",
        CPCSCLite.SCARD_E_NO_SUCH_CERTIFICATE: "SCARD_E_NO_SUCH_CERTIFICATE",
        CPCSCLite.SCARD_E_CERTIFICATE_UNAVAILABLE: "SCARD_E_CERTIFICATE_UNAVAILABLE",
        CPCSCLite.SCARD_E_NO_READERS_AVAILABLE: "SCARD_E_NO_READERS_AVAILABLE",
        CPCSCLite.SCARD_E_COMM_DATA_LOST: "SCARD_E_COMM_DATA_LOST",
        CPCSCLite.SCARD_E_NO_KEY_CONTAINER: "SCARD_E_NO_KEY_CONTAINER",
        CPCSCLite.SCARD_E_SERVER_TOO_BUSY: "SCARD_E_SERVER_TOO_BUSY",
        CPCSCLite.SCARD_W_UNSUPPORTED_CARD: "SCARD_W_UNSUPPORTED_CARD",
        CPCSCLite.SCARD_W_UNRESPONSIVE_CARD: "SCARD_W_UNRESPONSIVE_CARD",
        CPCSCLite.SCARD_W_UNPOWERED_CARD: "SCARD_W_UNPOWERED_CARD",
        CPCSCLite.SCARD_W_RESET_CARD: "SCARD_W_RESET_CARD",
        CPCSCLite.SCARD_W_REMOVED_CARD: "SCARD_W_REMOVED_CARD",
        CPCSCLite.SCARD_W_SECURITY_VIOLATION: "SCARD_W_SECURITY_VIOLATION",
        CPCSCLite.SCARD_W_WRONG_CHV: "SCARD_W_WRONG_CHV",
        CPCSCLite.SCARD_W_CHV_BLOCKED: "SCARD_W_CHV_BLOCKED",
        CPCSCLite.SCARD_W_EOF: "SCARD_W_EOF",
        CPCSCLite.SCARD_W_CANCELLED_BY_USER: "SCARD_W_CANCELLED_BY_USER",
        CPCSCLite.SCARD_W_CARD_NOT_AUTHENTICATED: "SCARD_W_CARD_NOT_AUTHENTICATED",
    ]
}
