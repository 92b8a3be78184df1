import Foundation

/// Stands in for systemd's notify socket: a Unix datagram socket that records what arrives.
///
/// A reader thread receives with a 100 ms timeout and ends at the first one after the listener is gone (its weak
/// reference is then nil); `deinit` waits for it to end before closing the socket (closing under a blocked `recv` would neither wake it nor stop it from
/// reading whatever later reuses the descriptor number).
public final class NotifyListener: @unchecked Sendable {
    public let path: String
    private let fd: Int32
    private let lock = NSLock()
    private var received: [(at: Date, text: String)] = []
    private let ended = DispatchSemaphore(value: 0)

    public init(path: String) throws {
        self.path = path
        unlink(path)
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("cannot create the notify socket: errno \(errno)") }
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
        guard rc == 0 else {
            close(fd)
            throw TestFailure("cannot bind the notify socket \(path): errno \(errno)")
        }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let thread = Thread { [fd, lock, ended, weak self] in
            defer { ended.signal() }
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n > 0 {
                    let text = String(decoding: buffer[0 ..< n], as: UTF8.self)
                    guard let self else { return }
                    lock.lock()
                    self.received.append((Date(), text))
                    lock.unlock()
                } else if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                    if self == nil { return }
                } else {
                    return
                }
            }
        }
        thread.start()
    }

    deinit {
        ended.wait()  // at most one receive timeout
        close(fd)
        unlink(path)
    }

    /// Every assignment received so far, in order ("READY=1", "STATUS=...").
    public var assignments: [String] {
        lock.lock()
        defer { lock.unlock() }
        return received.flatMap { $0.text.split(separator: "\n").map(String.init) }
    }

    public func count(_ assignment: String) -> Int { assignments.filter { $0 == assignment }.count }

    public var statuses: [String] { assignments.filter { $0.hasPrefix("STATUS=") }.map { String($0.dropFirst(7)) } }
}
