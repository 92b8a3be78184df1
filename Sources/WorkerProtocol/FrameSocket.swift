import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A failure of the socket itself (not of a frame's content).
public struct SocketError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }

    static func errno(_ what: String) -> SocketError {
        SocketError("\(what): \(String(cString: strerror(Glibc.errno)))")
    }
}

/// One end of a Unix stream socket that carries frames: blocking reads through a `FrameDecoder`,
/// writes of whole frames serialized by a lock (tokens, heartbeats and replies come from
/// different threads).
public final class FrameSocket: @unchecked Sendable {
    public let fd: Int32
    private let writeLock = NSLock()
    private var decoder: FrameDecoder
    private var chunk = [UInt8](repeating: 0, count: 64 << 10)
    private var closed = false
    private let closeLock = NSLock()

    public init(fd: Int32, maxFrameBytes: Int = WireFormat.maxFrameBytes) {
        self.fd = fd
        decoder = FrameDecoder(maxFrameBytes: maxFrameBytes)
    }

    deinit { close() }

    /// Connects to a listening socket at `path`.
    public static func connect(path: String) throws(SocketError) -> FrameSocket {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .errno("socket") }
        var addr = try address(path)
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard r == 0 else {
            let e = SocketError.errno("connect \(path)")
            Glibc.close(fd)
            throw e
        }
        return FrameSocket(fd: fd)
    }

    /// Creates a listening socket at `path` (replacing a stale one) with the given mode.
    public static func listen(path: String, mode: mode_t = 0o600, backlog: Int32 = 4) throws(SocketError) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .errno("socket") }
        var addr = try address(path)
        unlink(path)
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard r == 0 else {
            let e = SocketError.errno("bind \(path)")
            Glibc.close(fd)
            throw e
        }
        guard chmod(path, mode) == 0, Glibc.listen(fd, backlog) == 0 else {
            let e = SocketError.errno("listen \(path)")
            Glibc.close(fd)
            throw e
        }
        return fd
    }

    static func address(_ path: String) throws(SocketError) -> sockaddr_un {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard !bytes.isEmpty, bytes.count < capacity else {
            throw SocketError("socket path '\(path)' is \(bytes.count) bytes; Unix sockets allow 1 to \(capacity - 1)")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return addr
    }

    /// Writes one whole frame (or fails; a failed write leaves the socket unusable).
    public func send(_ frame: [UInt8]) throws(SocketError) {
        writeLock.lock()
        defer { writeLock.unlock() }
        // Once closed, the descriptor number may already belong to another connection.
        guard !isClosed else { throw SocketError("the socket is closed") }
        var done = 0
        let failure: SocketError? = frame.withUnsafeBytes { raw in
            while done < raw.count {
                let n = Glibc.send(fd, raw.baseAddress! + done, raw.count - done, Int32(MSG_NOSIGNAL))
                if n < 0 {
                    if Glibc.errno == EINTR { continue }
                    return .errno("send")
                }
                done += n
            }
            return nil
        }
        if let failure { throw failure }
    }

    /// The next frame's payload, or a framing error (the stream stays in sync); nil at end of stream.
    /// Blocks until a frame arrives. Only one thread may receive.
    public func receive() throws(SocketError) -> Result<[UInt8], ProtocolError>? {
        while true {
            if let next = decoder.next() { return next }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n == 0 { return nil }
            if n < 0 {
                if Glibc.errno == EINTR { continue }
                if Glibc.errno == ECONNRESET || Glibc.errno == EBADF { return nil }
                throw .errno("recv")
            }
            chunk.withUnsafeBytes { decoder.append(UnsafeRawBufferPointer(rebasing: $0[0 ..< n])) }
        }
    }

    /// Linux's POLLRDHUP (0x2000), which Glibc's module does not export without _GNU_SOURCE.
    private static let pollReadHangUp: Int16 = 0x2000

    /// Whether the peer has closed its end (or the socket failed), without reading anything.
    public var peerHasHungUp: Bool {
        if isClosed { return true }
        var p = pollfd(fd: fd, events: Self.pollReadHangUp, revents: 0)
        guard poll(&p, 1, 0) == 1 else { return false }
        return p.revents & (Self.pollReadHangUp | Int16(POLLHUP | POLLERR | POLLNVAL)) != 0
    }

    /// Ends both directions: a thread blocked in `receive` sees end of stream.
    public func shutdown() {
        closeLock.lock()
        defer { closeLock.unlock() }
        // After close the number may have been reused: shutting it down would cut someone else's connection.
        guard !closed else { return }
        _ = Glibc.shutdown(fd, Int32(SHUT_RDWR))
    }

    /// Closes the descriptor once; later sends fail and later shutdowns do nothing. Waits for a
    /// send in progress, so no write can land on a reused descriptor number.
    public func close() {
        writeLock.lock()
        defer { writeLock.unlock() }
        closeLock.lock()
        defer { closeLock.unlock() }
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
    }

    private var isClosed: Bool {
        closeLock.lock()
        defer { closeLock.unlock() }
        return closed
    }
}
