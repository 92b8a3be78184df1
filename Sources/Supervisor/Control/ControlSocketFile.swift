import CProcess
import Foundation

/// The control socket's listening descriptor and its file. The path is claimed only when nothing answers on
/// it; the file is made mode 0660 under a umask and given to the control group without following symlinks;
/// at exit it is removed only while it is still the file this process bound, so a second instance that exits
/// never takes away the first one's socket.
struct ControlSocketFile: Sendable {
    let path: String
    /// The listening descriptor (close-on-exec).
    let descriptor: Int32
    /// What was at the path before and was removed (a stale socket, a leftover file), for the log.
    let replaced: String?
    private let device: dev_t
    private let inode: ino_t

    /// Binds and listens on `path`, mode 0660, group `group`.
    static func bind(path: String, group: gid_t, backlog: Int32) throws(ControlServerError) -> ControlSocketFile {
        var address = try Self.address(path)
        // Held while the path is probed, cleared and bound: two instances starting at once cannot both find
        // it stale and then remove each other's new socket. (flock on the directory; released by close.)
        let directory = open(Self.directory(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 { _ = flock(directory, LOCK_EX) }
        defer { if directory >= 0 { Glibc.close(directory) } }

        let replaced = try claim(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw failure("socket", path) }
        // The mode comes from the umask at bind (0777 & ~0117 = 0660), so the socket is never accessible to
        // others, not even for a moment; umask is per process, but this runs at start-up before other threads
        // create files.
        let saved = umask(0o117)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        umask(saved)
        guard bound == 0 else {
            let error = failure("bind", path)
            Glibc.close(fd)
            throw error
        }
        var st = stat()
        guard lstat(path, &st) == 0, st.st_mode & S_IFMT == S_IFSOCK else {
            Glibc.close(fd)
            throw ControlServerError(description: "the control socket \(path) vanished right after bind")
        }
        let file = ControlSocketFile(path: path, descriptor: fd, replaced: replaced, device: st.st_dev,
                                     inode: st.st_ino)
        // lchown, not chown: it never follows a symlink someone put in the socket's place.
        guard lchown(path, uid_t.max, group) == 0 else {
            let error = ControlServerError(description: "cannot give the control socket \(path) to group \(group): "
                + String(cString: strerror(errno)) + " (vkserved must run as root or be a member of control_group)")
            file.stopListening()
            Glibc.close(fd)
            throw error
        }
        guard listen(fd, backlog) == 0 else {
            let error = failure("listen", path)
            file.stopListening()
            Glibc.close(fd)
            throw error
        }
        return file
    }

    /// The directory the socket file goes in ("." for a bare file name).
    static func directory(of path: String) -> String {
        let directory = (path as NSString).deletingLastPathComponent
        return directory.isEmpty ? "." : directory
    }

    /// Stops listening (a thread blocked in accept wakes with an error) and removes the file if it is still
    /// ours. The descriptor stays open, so its number cannot be reused under that thread.
    func stopListening() {
        _ = Glibc.shutdown(descriptor, Int32(SHUT_RDWR))
        var st = stat()
        if lstat(path, &st) == 0, st.st_dev == device, st.st_ino == inode { unlink(path) }
    }

    /// Makes the path free: fails when another process answers on it or something not ours is in the way.
    /// - Returns: what was removed, if anything.
    private static func claim(_ path: String) throws(ControlServerError) -> String? {
        var st = stat()
        guard lstat(path, &st) == 0 else {
            guard errno == ENOENT else { throw failure("lstat", path) }
            return nil
        }
        let type = st.st_mode & S_IFMT
        if type == S_IFSOCK || type == S_IFLNK {
            switch probe(path) {
            case .answered(let pid):
                let who = pid.map { "pid \($0)" } ?? "pid unknown"
                throw ControlServerError(.alreadyRunning, description: "another vkserved is running on \(path) "
                    + "(\(who)); stop it first, or give this one another control_socket")
            case .refused where type == S_IFSOCK:
                guard unlink(path) == 0 else { throw failure("remove the stale socket", path) }
                return "a stale socket"
            case .refused:
                break
            case .failed(let reason):
                throw ControlServerError(.pathInUse, description: "cannot tell whether another vkserved owns \(path) "
                    + "(connect: \(reason)); if none is running, remove it")
            }
        }
        guard type != S_IFDIR, st.st_uid == geteuid() else {
            throw ControlServerError(.pathInUse, description: "control_socket \(path) is taken by a "
                + (type == S_IFDIR ? "directory" : "file of uid \(st.st_uid)")
                + " that is not a socket of ours; remove it or choose another control_socket")
        }
        guard unlink(path) == 0 else { throw failure("remove the leftover file", path) }
        return "a leftover file"
    }

    private enum Probe {
        /// Something accepted the connection: its pid, by SO_PEERCRED.
        case answered(pid_t?)
        /// ECONNREFUSED: a socket with nobody listening (or no socket at all).
        case refused
        case failed(String)
    }

    private static func probe(_ path: String) -> Probe {
        guard var address = try? Self.address(path) else { return .failed("the path is too long") }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failed(String(cString: strerror(errno))) }
        defer { Glibc.close(fd) }
        let r = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if r == 0 {
            var uid: UInt32 = 0, gid: UInt32 = 0, pid: Int32 = 0
            return .answered(vk_peer_credentials(fd, &uid, &gid, &pid) == 0 ? pid : nil)
        }
        // A connect that would block means a listener with a full backlog: somebody is there.
        if errno == EAGAIN { return .answered(nil) }
        return errno == ECONNREFUSED || errno == ENOENT ? .refused : .failed(String(cString: strerror(errno)))
    }

    private static func address(_ path: String) throws(ControlServerError) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !bytes.isEmpty, bytes.count < capacity else {
            throw ControlServerError(description: "control_socket '\(path)' is \(bytes.count) bytes; "
                + "Unix sockets allow 1 to \(capacity - 1)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return address
    }

    private static func failure(_ what: String, _ path: String) -> ControlServerError {
        ControlServerError(description: "cannot \(what) \(path): \(String(cString: strerror(errno)))")
    }
}
