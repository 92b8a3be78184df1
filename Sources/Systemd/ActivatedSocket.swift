/// A listening socket systemd passed to the service (socket activation, `man sd_listen_fds`).
public struct ActivatedSocket: Sendable, Equatable, Hashable {
    /// The file descriptor, 3 for the first socket.
    public let fd: Int32
    /// Its `FileDescriptorName=` from `LISTEN_FDNAMES`, `nil` when systemd passed no names or an empty one.
    public let name: String?

    /// A socket at `fd` named `name`.
    public init(fd: Int32, name: String?) {
        self.fd = fd
        self.name = name
    }
}
