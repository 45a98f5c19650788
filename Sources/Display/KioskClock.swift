import Foundation
import KioskCore

/// Date and time text in the kiosk's time zone (Gregorian calendar, fixed numeric formats, no locale data).
struct KioskClock {
    private let calendar: Calendar

    init(timeZone: TimeZone) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        self.calendar = calendar
    }

    private static let weekdays: [(zh: String, en: String)] = [
        ("周日", "Sun"), ("周一", "Mon"), ("周二", "Tue"), ("周三", "Wed"), ("周四", "Thu"), ("周五", "Fri"),
        ("周六", "Sat"),
    ]

    private func parts(_ date: Date) -> DateComponents {
        calendar.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: date)
    }

    /// `2026-11-29 08:00 周日 Sun`.
    func dateTime(_ date: Date) -> String {
        let p = parts(date)
        let weekday = Self.weekdays[((p.weekday ?? 1) - 1 + 7) % 7]
        return
            "\(p.year ?? 0)-\(two(p.month))-\(two(p.day)) \(two(p.hour)):\(two(p.minute)) \(weekday.zh) \(weekday.en)"
    }

    /// `11-29 08:00`.
    func monthDayTime(_ date: Date) -> String {
        let p = parts(date)
        return "\(two(p.month))-\(two(p.day)) \(two(p.hour)):\(two(p.minute))"
    }

    /// `12-10`.
    func monthDay(_ date: CalendarDate) -> String { "\(two(date.month))-\(two(date.day))" }

    /// Today's date at `date` in this time zone.
    func calendarDate(_ date: Date) -> CalendarDate {
        let p = parts(date)
        return CalendarDate(year: p.year ?? 1970, month: p.month ?? 1, day: p.day ?? 1)
            ?? CalendarDate(year: 1970, month: 1, day: 1)!
    }

    private func two(_ value: Int?) -> String {
        let v = value ?? 0
        return v < 10 ? "0\(v)" : "\(v)"
    }
}
