import Foundation

/// A directory vkserved puts sockets in (`runtime_dir`, the control socket's directory). Like sshd's
/// StrictModes, it is refused when another user could write to it: they could replace a socket with
/// their own and read prompts, or answer for a worker.
public enum TrustedDirectory {
    /// Creates `path` (mode 0755, less the umask) when it is missing, then checks it.
    /// - Parameter key: the configuration key the directory comes from, for the message.
    public static func prepare(_ path: String, key: String) throws(UnsafeDirectoryError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o755])
        } catch {
            throw UnsafeDirectoryError(path: path, description: "cannot create \(key) \(path): "
                + "\(error.localizedDescription) (create it: mkdir -m 0755 \(path))")
        }
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw UnsafeDirectoryError(path: path, description: "cannot examine \(key) \(path): "
                + String(cString: strerror(errno)))
        }
        guard st.st_mode & S_IFMT == S_IFDIR else {
            throw UnsafeDirectoryError(path: path, description: "\(key) \(path) is not a directory")
        }
        if let problem = problem(mode: st.st_mode, owner: st.st_uid, user: geteuid()) {
            throw UnsafeDirectoryError(path: path, description: "refusing \(key) \(path): \(problem); "
                + "make it private to the service (chmod 0755 \(path), or 0750 with the service's group; "
                + "it must be owned by root or uid \(geteuid()))")
        }
    }

    /// Why a directory with this mode and owner is unsafe for a process running as `user`; nil when safe.
    /// Safe: owned by root or `user`, and not writable by group or others, unless it is sticky and `user`'s own
    /// (then nobody else may remove or rename what `user` puts there).
    static func problem(mode: mode_t, owner: uid_t, user: uid_t) -> String? {
        let octal = String(mode & 0o7777, radix: 8)
        let shown = String(repeating: "0", count: max(0, 4 - octal.count)) + octal
        guard owner == 0 || owner == user else { return "it belongs to uid \(owner) (mode \(shown))" }
        let writableByOthers = mode & (S_IWGRP | S_IWOTH) != 0
        let stickyAndOurs = mode & S_ISVTX != 0 && owner == user
        guard !writableByOthers || stickyAndOurs else {
            let who = mode & S_IWOTH != 0 ? "others" : "its group"
            return "it is writable by \(who) (mode \(shown))"
        }
        return nil
    }
}
