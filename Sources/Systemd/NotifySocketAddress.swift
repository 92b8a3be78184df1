#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The Unix socket `NOTIFY_SOCKET` names: a filesystem path, or an abstract name written `@name`.
struct NotifySocketAddress: Sendable, Equatable {
    /// The bytes of `sun_path`: the path, or a NUL followed by the abstract name.
    let pathBytes: [UInt8]
    /// `NOTIFY_SOCKET` as given, for messages.
    let description: String

    /// Parses `NOTIFY_SOCKET`; `nil` when it is neither an absolute path nor `@name`, or does not fit `sun_path`.
    init?(_ value: String) {
        var bytes = Array(value.utf8)
        guard let first = bytes.first, !bytes.contains(0) else { return nil }
        let capacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)
        switch first {
        case UInt8(ascii: "/"):
            // Leave room for the terminating NUL, as systemd does.
            guard bytes.count < capacity else { return nil }
        case UInt8(ascii: "@"):
            guard bytes.count > 1, bytes.count <= capacity else { return nil }
            bytes[0] = 0
        default:
            return nil
        }
        pathBytes = bytes
        description = value
    }

    /// Calls `body` with a `sockaddr_un` for this address and the length to pass to `sendto`/`bind`.
    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes.prefix(raw.count))
        }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path) ?? MemoryLayout<sa_family_t>.size
        // A path includes its terminating NUL in the length; an abstract name is exactly its bytes.
        let isAbstract = pathBytes.first == 0
        let length = pathOffset + pathBytes.count + (isAbstract ? 0 : 1)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(length)) }
        }
    }
}
