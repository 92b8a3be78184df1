#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation

/// Tells systemd about the service's state: the `sd_notify` protocol, written out here rather than called through
/// libsystemd (which this module links for journald's `sd_journal_sendv`, in `JournalLogHandler`), so that the
/// datagram and the watchdog timing are ours to test without a running systemd.
///
/// Each notification is one datagram of newline-separated `KEY=value` assignments sent to the Unix socket named by
/// `NOTIFY_SOCKET`. Without that variable (not a `Type=notify` service, or run by hand) every call is a no-op.
///
/// ```swift
/// let notifier = SystemdNotifier()
/// notifier.notify(.ready, .status("serving 2 workers"))
/// if let every = notifier.watchdogPingInterval { /* send .watchdog every `every` */ }
/// ```
public struct SystemdNotifier: Sendable {
    /// The variables systemd hands a service that its children must not inherit (they would notify in the
    /// service's name, or try to take over its sockets): remove them from every child's environment.
    public static let childEnvironmentKeys = [
        "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
    ]

    /// `environment` without ``childEnvironmentKeys``: what to give a child process.
    public static func childEnvironment(_ environment: [String: String]) -> [String: String] {
        environment.filter { !childEnvironmentKeys.contains($0.key) }
    }

    /// `NOTIFY_SOCKET` as found, `nil` when unset.
    public let notifySocket: String?
    private let address: NotifySocketAddress?

    /// Whether `NOTIFY_SOCKET` names a usable socket, that is whether notifications are sent at all.
    public var isEnabled: Bool { address != nil }

    /// Why notifications are off: `nil` when ``isEnabled``.
    public var disabledReason: SystemdError? {
        guard address == nil else { return nil }
        guard let notifySocket else { return .notifySocketUnset }
        return .invalidNotifySocket(notifySocket)
    }

    /// The watchdog timeout systemd enforces (`WATCHDOG_USEC`), or `nil` when there is no watchdog for this
    /// process: unset, not a positive number, or `WATCHDOG_PID` names another process.
    public let watchdogInterval: Duration?

    /// How often to send ``NotifyState/watchdog``: half of ``watchdogInterval``, as `sd_watchdog_enabled` advises.
    public var watchdogPingInterval: Duration? { watchdogInterval.map { $0 / 2 } }

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from `environment`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        notifySocket = environment["NOTIFY_SOCKET"]
        address = notifySocket.flatMap(NotifySocketAddress.init)
        watchdogInterval = Self.watchdog(environment: environment, pid: getpid())
    }

    /// The watchdog interval `environment` gives process `pid`.
    static func watchdog(environment: [String: String], pid: Int32) -> Duration? {
        guard let text = environment["WATCHDOG_USEC"], let usec = UInt64(text), usec > 0 else { return nil }
        if let owner = environment["WATCHDOG_PID"] {
            guard let ownerPID = Int32(owner), ownerPID == pid else { return nil }
        }
        guard usec <= UInt64(Int64.max) else { return nil }
        return .microseconds(Int64(usec))
    }

    /// Sends `states` in one datagram, best effort: `false` when notifications are off, there is nothing to send,
    /// or sending failed (systemd gone, socket full). Never blocks for long and never raises SIGPIPE.
    @discardableResult
    public func notify(_ states: NotifyState...) -> Bool {
        notify(states)
    }

    /// Sends `states` in one datagram, best effort; like the variadic `notify`.
    @discardableResult
    public func notify(_ states: [NotifyState]) -> Bool {
        guard isEnabled, !states.isEmpty else { return false }
        do {
            try send(states)
            return true
        } catch {
            return false
        }
    }

    /// Sends `states` in one datagram, reporting why it could not.
    public func send(_ states: [NotifyState]) throws(SystemdError) {
        guard let address else { throw disabledReason ?? .notifySocketUnset }
        let datagram = Array(Self.message(for: states).utf8)
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .socketFailed(errno: errno) }
        defer { close(fd) }
        var sent = -1
        var code: Int32 = 0
        repeat {
            sent = datagram.withUnsafeBytes { bytes in
                address.withSockaddr { sockaddr, length in
                    sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), sockaddr, length)
                }
            }
            code = sent < 0 ? errno : 0
        } while sent < 0 && code == EINTR
        guard sent >= 0 else { throw .sendFailed(socket: address.description, errno: code) }
        guard sent == datagram.count else {
            throw .shortSend(socket: address.description, sent: sent, expected: datagram.count)
        }
    }

    /// The datagram for `states`: their assignments, one a line.
    public static func message(for states: [NotifyState]) -> String {
        let now = monotonicMicroseconds()
        return states.flatMap { $0.assignments(monotonicMicroseconds: now) }.joined(separator: "\n")
    }

    /// `CLOCK_MONOTONIC` in microseconds, the clock systemd compares `MONOTONIC_USEC=` with.
    static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }
}
