/// A worker process could not be created at all (before it ran a single instruction of ours).
public struct SpawnError: Error, CustomStringConvertible, Sendable {
    public let executable: String
    public let errno: Int32

    public var description: String {
        let reason = String(cString: strerror(errno))
        switch errno {
        case ENOENT: return "cannot start \(executable): no such file (set worker_binary in the configuration)"
        case EACCES: return "cannot start \(executable): permission denied (is it executable by the service user?)"
        default: return "cannot start \(executable): \(reason)"
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
