public import Foundation

/// One reading of the centre's clock: its HTTP `Date` header and the local time the answer arrived
/// (anchors §2.3: the Swiss verifier compares the two and warns above 2 h).
public struct ServerClockSample: Sendable, Hashable {
    /// The centre's `Date` header (whole seconds).
    public var serverDate: Date
    /// The local clock when the response head arrived.
    public var localDate: Date

    public init(serverDate: Date, localDate: Date) {
        self.serverDate = serverDate
        self.localDate = localDate
    }

    /// Local minus server, in seconds: positive when the kiosk's clock is ahead. The `Date` header has whole
    /// seconds, so a skew under about a second is noise.
    public var skew: TimeInterval { localDate.timeIntervalSince(serverDate) }

    /// Whether the local clock differs from the centre's by more than `maximum`.
    public func exceeds(_ maximum: Duration) -> Bool { abs(skew) > Double(maximum.components.seconds) }

    /// Parses an HTTP-date (RFC 9110 §5.6.7): `Sun, 06 Nov 1994 08:49:37 GMT`. The obsolete forms are not accepted.
    public static func parseHTTPDate(_ text: String) -> Date? {
        // IMF-fixdate is fixed width: parse it by hand (DateFormatter is neither Sendable nor fast).
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", parts[0].hasSuffix(","),
            let day = Int(parts[1]), let year = Int(parts[3]),
            let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
                .firstIndex(of: String(parts[2]))
        else { return nil }
        let time = parts[4].split(separator: ":")
        guard time.count == 3, let h = Int(time[0]), let m = Int(time[1]), let s = Int(time[2]) else { return nil }
        var components = DateComponents()
        components.year = year
        components.month = month + 1
        components.day = day
        components.hour = h
        components.minute = m
        components.second = s
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "GMT")!
        return calendar.date(from: components)
    }
}
