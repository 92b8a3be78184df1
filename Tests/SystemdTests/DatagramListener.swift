import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A Unix datagram socket bound by the test, standing in for systemd's notify socket.
final class DatagramListener {
    /// What to export as `NOTIFY_SOCKET`: the socket's path, or `@name` for an abstract socket.
    let notifySocket: String
    private let fd: Int32
    private let directory: URL?

    enum Failure: Error, CustomStringConvertible {
        case system(String, Int32)
        var description: String {
            switch self {
            case .system(let call, let code): return "\(call) failed: \(String(cString: strerror(code)))"
            }
        }
    }

    /// Binds a socket in a fresh temporary folder, or an abstract one when `abstract`.
    init(abstract: Bool = false) throws {
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure.system("socket", errno) }
        var pathBytes: [UInt8]
        if abstract {
            let name = "vkserve-test-\(UUID().uuidString)"
            notifySocket = "@" + name
            directory = nil
            pathBytes = [0] + Array(name.utf8)
        } else {
            var template = Array("/tmp/vkst-XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else {
                close(fd)
                throw Failure.system("mkdtemp", errno)
            }
            let path = String(cString: made) + "/notify.sock"
            notifySocket = path
            directory = URL(fileURLWithPath: String(cString: made))
            pathBytes = Array(path.utf8) + [0]
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: pathBytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + pathBytes.count)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw Failure.system("bind \(notifySocket)", code)
        }
    }

    deinit {
        close(fd)
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    /// The next datagram as text, or `nil` when none arrives within `timeout` seconds.
    func receive(timeout: Double = 2) -> String? {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(timeout * 1000)) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }
}
