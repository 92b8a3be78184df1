import CProcess
import Foundation

/// One child process in its own process group, with its stdout and stderr captured line by line.
///
/// The exit is observed by a thread blocked in `waitpid` for this pid only, so the supervisor
/// never reaps anything it did not start.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    public let executable: String

    private let lock = NSLock()
    private var exitStatus: ExitStatus?

    private init(pid: pid_t, executable: String) {
        self.pid = pid
        self.executable = executable
    }

    /// Starts `executable` with `arguments` and exactly `environment`, in a new process group
    /// whose id is its pid, stdin from /dev/null, stdout and stderr to a pipe and no other descriptor,
    /// default signal dispositions and an empty mask.
    /// `onLine` receives each line it writes to stdout or stderr; `onExit` its exit, once.
    static func spawn(
        executable: String, arguments: [String], environment: [String: String],
        onLine: @escaping @Sendable (String) -> Void, onExit: @escaping @Sendable (ExitStatus) -> Void
    ) async throws(SpawnError) -> ChildProcess {
        let result: Result<(pid_t, Int32), SpawnError> = await ProcessSpawner.shared.run {
            Self.posixSpawn(executable: executable, arguments: arguments, environment: environment)
        }
        let (pid, output) = try result.get()
        let child = ChildProcess(pid: pid, executable: executable)
        let reader = Thread { Self.forwardLines(from: output, to: onLine) }
        reader.name = "worker-output-\(pid)"
        reader.start()
        let waiter = Thread {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            let exit = ExitStatus(waitStatus: status)
            child.lock.lock()
            child.exitStatus = exit
            child.lock.unlock()
            onExit(exit)
        }
        waiter.name = "worker-wait-\(pid)"
        waiter.start()
        return child
    }

    /// The exit status once the process has been reaped.
    public var exit: ExitStatus? {
        lock.lock()
        defer { lock.unlock() }
        return exitStatus
    }

    /// Sends `signal` to the whole process group (the worker and anything it started).
    public func signalGroup(_ signal: Int32) {
        lock.lock()
        let reaped = exitStatus != nil
        lock.unlock()
        // After the reap the group id may be reused; until then it is ours.
        if !reaped { _ = kill(-pid, signal) }
    }

    private static func posixSpawn(executable: String, arguments: [String], environment: [String: String])
        -> Result<(pid_t, Int32), SpawnError>
    {
        var fds: [Int32] = [0, 0]
        // Spawns are serialized on one thread, so no other spawn can inherit the pipe before CLOEXEC is set.
        guard pipe(&fds) == 0 else { return .failure(SpawnError(executable: executable, errno: errno)) }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        // Nothing else crosses exec: NIO accepts HTTP connections without SOCK_CLOEXEC, and a worker holding a
        // client's connection (or the listener) keeps it open after vkserved closes it.
        let closing = withUnsafeMutablePointer(to: &actions) { vk_spawn_close_from($0, 3) }
        if closing != 0 && closing != ENOSYS {
            close(fds[0])
            close(fds[1])
            return .failure(SpawnError(executable: executable, errno: closing))
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        close(fds[1])
        guard rc == 0 else {
            close(fds[0])
            return .failure(SpawnError(executable: executable, errno: rc))
        }
        return .success((pid, fds[0]))
    }

    private static func forwardLines(from fd: Int32, to onLine: (String) -> Void) {
        defer { close(fd) }
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            pending.append(contentsOf: chunk[0 ..< n])
            while let newline = pending.firstIndex(of: 10) {
                onLine(String(decoding: pending[..<newline], as: UTF8.self))
                pending.removeSubrange(...newline)
            }
            // A runaway line without a newline is cut rather than buffered without bound.
            if pending.count > 65_536 {
                onLine(String(decoding: pending, as: UTF8.self))
                pending.removeAll()
            }
        }
        if !pending.isEmpty { onLine(String(decoding: pending, as: UTF8.self)) }
    }
}
