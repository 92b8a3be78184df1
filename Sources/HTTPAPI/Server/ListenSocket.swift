import Systemd

#if canImport(Glibc)
import Glibc
#endif

/// Where the HTTP API accepts connections: an address it binds itself (`listen`), or a listening socket
/// systemd opened for it (`vkserve.socket`, socket activation), which then wins over `listen`.
enum ListenSocket: Sendable, CustomStringConvertible {
    case address(BindTarget)
    case inherited(ActivatedSocket)

    /// The first socket systemd passed, when it passed any; otherwise `listen`.
    static func choose(listen: String, activated: [ActivatedSocket]) throws(APIServer.Failure) -> ListenSocket {
        if let socket = activated.first {
            guard isListeningStream(socket.fd) else {
                throw APIServer.Failure(description: "the socket systemd passed (fd \(socket.fd)"
                    + (socket.name.map { ", \($0)" } ?? "") + ") is not a listening stream socket: "
                    + "vkserve.socket needs ListenStream=")
            }
            return .inherited(socket)
        }
        guard let target = BindTarget(listen) else {
            throw APIServer.Failure(description: "listen: cannot use '\(listen)' as HOST:PORT")
        }
        return .address(target)
    }

    var description: String {
        switch self {
        case .address(let target): return "\(target.host):\(target.port)"
        case .inherited(let socket): return "the socket from systemd (fd \(socket.fd)\(socket.name.map { ", \($0)" } ?? ""))"
        }
    }

    private static func isListeningStream(_ fd: Int32) -> Bool {
        var type: Int32 = 0, accepting: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0 else { return false }
        length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &length) == 0 else { return false }
        return type == Int32(SOCK_STREAM.rawValue) && accepting != 0
    }
}
