#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A serial line speed (baud) that termios can set. SAM ID-card modules run at 115 200 baud (cards.md §4.1); some
/// older ones at 9 600.
public struct SerialSpeed: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Bits per second.
    public let baud: Int

    /// The speed for `baud`, or `nil` when termios has no constant for it (supported: 1 200 … 921 600).
    public init?(baud: Int) {
        guard Self.termiosConstants[baud] != nil else { return nil }
        self.baud = baud
    }

    private init(unchecked baud: Int) { self.baud = baud }

    public static let b9600 = SerialSpeed(unchecked: 9600)
    public static let b19200 = SerialSpeed(unchecked: 19200)
    public static let b38400 = SerialSpeed(unchecked: 38400)
    public static let b57600 = SerialSpeed(unchecked: 57600)
    public static let b115200 = SerialSpeed(unchecked: 115_200)
    public static let b230400 = SerialSpeed(unchecked: 230_400)

    /// Every speed ``init(baud:)`` accepts, ascending.
    public static var supported: [SerialSpeed] { termiosConstants.keys.sorted().map(SerialSpeed.init(unchecked:)) }

    private static let termiosConstants: [Int: speed_t] = [
        1200: speed_t(B1200), 2400: speed_t(B2400), 4800: speed_t(B4800), 9600: speed_t(B9600),
        19200: speed_t(B19200), 38400: speed_t(B38400), 57600: speed_t(B57600), 115_200: speed_t(B115200),
        230_400: speed_t(B230400), 460_800: speed_t(B460800), 921_600: speed_t(B921600),
    ]

    /// The `B*` constant for `cfsetispeed`/`cfsetospeed`.
    var termiosConstant: speed_t { Self.termiosConstants[baud]! }

    /// Time on the wire for `byteCount` bytes in 8N1 framing (10 bits a byte): 1 295 bytes take 112 ms at
    /// 115 200 baud and 1.35 s at 9 600.
    public func transferTime(byteCount: Int) -> Duration {
        .microseconds(Int64(byteCount) * 10 * 1_000_000 / Int64(baud))
    }

    public static func < (lhs: SerialSpeed, rhs: SerialSpeed) -> Bool { lhs.baud < rhs.baud }

    public var description: String { "\(baud) baud" }
}
