#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation

/// The sockets systemd opened for the service (`vkserve.socket`), passed as file descriptors 3, 4, …
/// with `LISTEN_PID`, `LISTEN_FDS` and `LISTEN_FDNAMES` (`man sd_listen_fds`).
public enum SocketActivation {
    /// The first descriptor systemd passes (`SD_LISTEN_FDS_START`).
    public static let firstDescriptor: Int32 = 3

    /// The most descriptors accepted from `LISTEN_FDS`; larger values are treated as garbage.
    public static let maximumDescriptors = 4096

    /// The sockets passed to this process, each marked close-on-exec so that workers do not inherit them.
    /// Empty when there are none, when they were meant for another process (`LISTEN_PID` is not ours), or when
    /// the variables are malformed. Descriptors that are not open are left out.
    public static func listeningSockets(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> [ActivatedSocket] {
        parse(environment: environment, pid: getpid()).filter { socket in
            let flags = fcntl(socket.fd, F_GETFD)
            guard flags >= 0 else { return false }
            return fcntl(socket.fd, F_SETFD, flags | FD_CLOEXEC) >= 0
        }
    }

    /// The sockets `environment` describes for process `pid`, without touching any descriptor: empty unless
    /// `LISTEN_PID` equals `pid` and `LISTEN_FDS` is a positive count. Names come from `LISTEN_FDNAMES`
    /// (colon-separated) when it has exactly one name per descriptor; otherwise every name is `nil`.
    public static func parse(environment: [String: String], pid: Int32) -> [ActivatedSocket] {
        guard let pidText = environment["LISTEN_PID"], let listenPID = Int32(pidText), listenPID == pid,
            let countText = environment["LISTEN_FDS"], let count = Int(countText),
            count > 0, count <= maximumDescriptors
        else { return [] }
        var names: [String?] = Array(repeating: nil, count: count)
        if let namesText = environment["LISTEN_FDNAMES"] {
            let parts = namesText.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            if parts.count == count {
                names = parts.map { $0.isEmpty ? nil : $0 }
            }
        }
        return (0..<count).map { index in
            ActivatedSocket(fd: firstDescriptor + Int32(index), name: names[index])
        }
    }
}
