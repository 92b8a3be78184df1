/// One assignment of the sd_notify protocol (`man sd_notify`).
public enum NotifyState: Sendable, Equatable {
    /// `READY=1`: start-up finished; systemd considers a `Type=notify` service started.
    case ready
    /// `RELOADING=1` with `MONOTONIC_USEC=` (the current `CLOCK_MONOTONIC` time, which systemd ≥ 253
    /// requires for `Type=notify-reload`); send `.ready` when the reload is done.
    case reloading
    /// `STOPPING=1`: shutdown began.
    case stopping
    /// `WATCHDOG=1`: the keep-alive ping; send it at half of ``SystemdNotifier/watchdogInterval``.
    case watchdog
    /// `STATUS=…`: a one-line status shown by `systemctl status`; newlines become spaces.
    case status(String)
    /// `EXTEND_TIMEOUT_USEC=…`: ask for this much more time for the current start-up, reload or stop.
    case extendTimeout(Duration)
    /// `MAINPID=…`: the service's main process is this one.
    case mainPID(Int32)
    /// `ERRNO=…`: the reason the service failed, as an errno.
    case errno(Int32)

    /// The `KEY=value` lines for this state; `monotonicMicroseconds` is the clock reading for `.reloading`.
    func assignments(monotonicMicroseconds: UInt64) -> [String] {
        switch self {
        case .ready:
            return ["READY=1"]
        case .reloading:
            return ["RELOADING=1", "MONOTONIC_USEC=\(monotonicMicroseconds)"]
        case .stopping:
            return ["STOPPING=1"]
        case .watchdog:
            return ["WATCHDOG=1"]
        case .status(let text):
            return ["STATUS=" + Self.singleLine(text)]
        case .extendTimeout(let duration):
            return ["EXTEND_TIMEOUT_USEC=\(Self.microseconds(duration))"]
        case .mainPID(let pid):
            return ["MAINPID=\(pid)"]
        case .errno(let code):
            return ["ERRNO=\(code)"]
        }
    }

    /// `text` with line breaks and NULs (which would end the assignment early) turned into spaces.
    static func singleLine(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n", "\r", "\0", "\u{2028}", "\u{2029}", "\u{85}":
                scalars.append(" ")
            default:
                scalars.append(scalar)
            }
        }
        return String(scalars)
    }

    /// Whole microseconds in `duration`, clamped to 0 below and `UInt64.max` above.
    static func microseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        if seconds < 0 || (seconds == 0 && attoseconds <= 0) { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000)
        if overflow { return .max }
        let (sum, overflow2) = whole.addingReportingOverflow(UInt64(max(0, attoseconds) / 1_000_000_000_000))
        return overflow2 ? .max : sum
    }
}
