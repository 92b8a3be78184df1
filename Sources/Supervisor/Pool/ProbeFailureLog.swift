import Logging

/// At what level the pool reports a failed failover probe: the degraded warning already told the operator why
/// the slot runs on the CPU, so a probe that fails the same way again is routine (debug); one that fails in a
/// new way is news (warning).
enum ProbeFailureLog {
    /// - Parameters:
    ///   - reason: how this probe ended.
    ///   - previous: how the episode's last failure (the one that degraded the slot, or the last probe) ended.
    static func level(for reason: ExitReason, previous: ExitReason?) -> Logger.Level {
        reason == previous ? .debug : .warning
    }
}
