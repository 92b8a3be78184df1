#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What went wrong talking to systemd, worded for the operator reading the log.
public enum SystemdError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `NOTIFY_SOCKET` is not set: the process was not started by systemd as a `Type=notify` service.
    case notifySocketUnset
    /// `NOTIFY_SOCKET` holds something that is neither an absolute path nor an abstract name (`@name`)
    /// that fits a Unix socket address.
    case invalidNotifySocket(String)
    /// `socket(AF_UNIX, SOCK_DGRAM)` failed with this errno.
    case socketFailed(errno: Int32)
    /// Sending the datagram to the notify socket failed with this errno.
    case sendFailed(socket: String, errno: Int32)
    /// The kernel accepted only part of the datagram.
    case shortSend(socket: String, sent: Int, expected: Int)

    /// The message for the operator: what failed, with the value or errno involved.
    public var description: String {
        switch self {
        case .notifySocketUnset:
            return "NOTIFY_SOCKET is not set: not running as a systemd Type=notify service, notifications are off"
        case .invalidNotifySocket(let value):
            return "NOTIFY_SOCKET=\(value) is neither an absolute socket path nor an abstract name (@name) "
                + "of at most 107 bytes; notifications are off"
        case .socketFailed(let code):
            return "cannot create a Unix datagram socket for sd_notify: \(Self.text(code)) (errno \(code))"
        case .sendFailed(let socket, let code):
            return "cannot send a notification to systemd at NOTIFY_SOCKET=\(socket): "
                + "\(Self.text(code)) (errno \(code))"
        case .shortSend(let socket, let sent, let expected):
            return "systemd's notify socket \(socket) took \(sent) of \(expected) bytes of a notification"
        }
    }

    static func text(_ code: Int32) -> String {
        guard let message = strerror(code) else { return "unknown error" }
        return String(cString: message)
    }
}
