/// Formats an instant as HTTP's preferred date format, IMF-fixdate (RFC 9110 §5.6.7),
/// such as `Sun, 06 Nov 1994 08:49:37 GMT`, for the `Date` response field.
public enum HTTPDate {
    /// The last instant with a four-digit year, 9999-12-31T23:59:59Z; IMF-fixdate has no room for more.
    static let latest = 253_402_300_799

    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// The IMF-fixdate for `unixTime` (seconds since 1970-01-01T00:00:00Z, UTC, leap seconds
    /// not counted as POSIX time does). Times before 1970 or after 9999 are clamped to that range.
    public static func imfFixdate(unixTime: Int) -> String {
        let time = min(max(unixTime, 0), latest)
        let days = time / 86_400
        let secondOfDay = time % 86_400
        let (year, month, day) = civilDate(daysSince1970: days)
        // 1970-01-01 was a Thursday (index 4 counting from Sunday).
        let weekday = weekdays[(days + 4) % 7]
        return "\(weekday), \(pad(day, 2)) \(months[month - 1]) \(pad(year, 4)) "
            + "\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)) GMT"
    }

    /// Year, month (1...12) and day (1...31) in the proleptic Gregorian calendar for a
    /// non-negative day count since 1970-01-01.
    ///
    /// Works in 400-year eras that start on 1 March, so the leap day is the last day of
    /// its "year" and every other month length follows the fixed 153-days-per-5-months pattern.
    static func civilDate(daysSince1970: Int) -> (year: Int, month: Int, day: Int) {
        // 719,468 days lie between 0000-03-01 and 1970-01-01.
        let shifted = daysSince1970 + 719_468
        let era = shifted / 146_097  // 146,097 days in 400 Gregorian years
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let marchBasedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * marchBasedMonth + 2) / 5 + 1
        let month = marchBasedMonth < 10 ? marchBasedMonth + 3 : marchBasedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
