import CProcess
import Foundation

/// The process's open-file limit (RLIMIT_NOFILE). systemd starts services with a soft limit of 1,024 (for
/// select(2)'s sake) and a high hard limit; vkserved uses epoll, so it raises the soft limit to the hard one at
/// start, before it accepts a connection.
public enum OpenFileLimit {
    /// Raises the soft limit to the hard limit; returns the soft limit before and after (equal when it could
    /// not be raised, with the reason).
    public static func raise() -> (before: Int, after: Int, failure: String?) {
        var before: UInt64 = 0, after: UInt64 = 0
        guard vk_raise_nofile_limit(&before, &after) == 0 else {
            return (current, current, String(cString: strerror(errno)))
        }
        return (Int(clamping: before), Int(clamping: after), nil)
    }

    /// The soft limit now.
    public static var current: Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        return Int(clamping: limit.rlim_cur)
    }
}
