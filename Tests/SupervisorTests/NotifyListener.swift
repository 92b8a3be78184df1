import Foundation

/// Stands in for systemd's notify socket: a Unix datagram socket that records what arrives.
final class NotifyListener: @unchecked Sendable {
    let path: String
    private let fd: Int32
    private let lock = NSLock()
    private var received: [(at: Date, text: String)] = []

    init(path: String) throws {
        self.path = path
        unlink(path)
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { throw TestFailure("cannot bind the notify socket \(path)") }
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                let text = String(decoding: buffer[0 ..< n], as: UTF8.self)
                lock.lock()
                received.append((Date(), text))
                lock.unlock()
            }
        }
        thread.start()
    }

    deinit {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
        unlink(path)
    }

    /// Every assignment received so far, in order ("READY=1", "STATUS=...").
    var assignments: [String] {
        lock.lock()
        defer { lock.unlock() }
        return received.flatMap { $0.text.split(separator: "\n").map(String.init) }
    }

    func count(_ assignment: String) -> Int { assignments.filter { $0 == assignment }.count }

    var statuses: [String] { assignments.filter { $0.hasPrefix("STATUS=") }.map { String($0.dropFirst(7)) } }
}
