import Foundation
import Synchronization

/// The `Date` header (RFC 9110 IMF-fixdate), formatted once per second.
final class HTTPDate: Sendable {
    private let cache = Mutex<(second: Int, text: String)>((-1, ""))

    func now() -> String {
        var t = time(nil)
        return cache.withLock { cache in
            if cache.second != t {
                var parts = tm()
                gmtime_r(&t, &parts)
                let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
                let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
                let day = String(format: "%02d", parts.tm_mday)
                let time = String(format: "%04d %02d:%02d:%02d", Int32(parts.tm_year) + 1900, parts.tm_hour,
                                  parts.tm_min, parts.tm_sec)
                cache = (t, "\(days[Int(parts.tm_wday)]), \(day) \(months[Int(parts.tm_mon)]) \(time) GMT")
            }
            return cache.text
        }
    }
}
