import ControlProtocol
import Foundation
import Logging
@testable import Supervisor
import Systemd
import TestHarness
import WorkerProtocol
import Testing

/// The control socket's start-up checks: another vkserved on the path, stale sockets, unsafe directories, and
/// the accept loop's backoff.
@Suite("Control socket: single instance, safe directories, accept backoff")
struct ControlSocketTests {
    @Test("a directory others may write to is refused unless it is sticky and ours; a stranger's is refused")
    func directoryRule() {
        let me: uid_t = 1000
        #expect(TrustedDirectory.problem(mode: S_IFDIR | 0o755, owner: me, user: me) == nil)
        #expect(TrustedDirectory.problem(mode: S_IFDIR | 0o750, owner: 0, user: me) == nil)
        #expect(TrustedDirectory.problem(mode: S_IFDIR | 0o700, owner: me, user: me) == nil)
        #expect(TrustedDirectory.problem(mode: S_IFDIR | 0o1777, owner: me, user: me) == nil)
        #expect(TrustedDirectory.problem(mode: S_IFDIR | 0o1777, owner: 0, user: me)?.contains("mode 1777") == true)
        #expect(TrustedDirectory.problem(mode: S_IFDIR | 0o777, owner: me, user: me)?.contains("by others") == true)
        #expect(TrustedDirectory.problem(mode: S_IFDIR | 0o775, owner: me, user: me)?.contains("its group") == true)
        #expect(TrustedDirectory.problem(mode: S_IFDIR | 0o755, owner: 4242, user: me)?.contains("uid 4242") == true)
        // A bare file name's socket goes in the working directory, which is checked like any other.
        #expect(ControlSocketFile.directory(of: "control.sock") == ".")
        #expect(ControlSocketFile.directory(of: "/run/vkserve/control.sock") == "/run/vkserve")
    }

    @Test("prepare creates a missing directory 0755 and names path, mode and the fix when refusing")
    func prepare() throws {
        let dir = try TemporaryDirectory()
        let made = dir.path + "/a/b"
        try TrustedDirectory.prepare(made, key: "runtime_dir")
        var st = stat()
        #expect(stat(made, &st) == 0 && st.st_mode & 0o7777 & ~0o755 == 0 && st.st_mode & 0o700 == 0o700)
        chmod(made, 0o777)
        let error = #expect(throws: UnsafeDirectoryError.self) {
            try TrustedDirectory.prepare(made, key: "runtime_dir")
        }
        #expect(error?.description.contains("runtime_dir \(made)") == true, "\(String(describing: error))")
        #expect(error?.description.contains("mode 0777") == true && error?.description.contains("chmod 0755") == true)
    }

    @Test("accept failures back off 10 ms doubling to 1 s; logged once, then once per 10 s with a count")
    func acceptBackoff() {
        var backoff = AcceptBackoff()
        let start = ContinuousClock.now
        var steps: [AcceptBackoff.Step] = []
        var now = start
        for _ in 0 ..< 9 {
            let step = backoff.failed(at: now)
            steps.append(step)
            now += step.delay
        }
        #expect(steps.map(\.delay) == [10, 20, 40, 80, 160, 320, 640, 1000, 1000].map { .milliseconds($0) })
        #expect(steps.map(\.log) == [true] + Array(repeating: false, count: 8))
        // 10 s after the first report: one more line, counting the 8 failures not logged in between.
        let later = backoff.failed(at: start + .seconds(10))
        #expect(later.log && later.unlogged == 8 && later.delay == .seconds(1))
        // A success resets the delay but not the log limit.
        backoff.succeeded()
        let again = backoff.failed(at: start + .seconds(11))
        #expect(again.delay == .milliseconds(10) && !again.log)
    }

    @Test("vkserved will not start while something answers on its control socket, and leaves that socket be")
    func anotherInstance() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/control.sock"
        let listener = try listeningSocket(path)
        defer { close(listener) }
        let r = try vkserved(dir, ["--control-socket", path])
        #expect(r.status == 1, "\(r)")
        #expect(r.err.contains("another vkserved is running on \(path) (pid \(getpid()))"), "\(r.err)")
        var st = stat()
        #expect(lstat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFSOCK)
    }

    @Test("vkserved refuses a world-writable runtime_dir, naming it, its mode and the fix")
    func worldWritableRuntimeDir() throws {
        let dir = try TemporaryDirectory()
        let open = dir.path + "/run"
        mkdir(open, 0o755)
        chmod(open, 0o777)
        let r = try vkserved(dir, ["--runtime-dir", open])
        #expect(r.status == 1, "\(r)")
        #expect(r.err.contains("refusing runtime_dir \(open): it is writable by others (mode 0777)"), "\(r.err)")
        #expect(r.err.contains("chmod 0755"))
    }

    @Test("a file in the socket's place that is not ours is left alone and refused")
    func directoryInTheWay() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/control.sock"
        mkdir(path, 0o755)
        let r = try vkserved(dir, ["--control-socket", path])
        #expect(r.status == 1 && r.err.contains("is taken by a directory"), "\(r)")
    }

    /// Runs vkserved on a configuration that needs no model until a worker starts; returns when it exits.
    @Test("at most 32 connections are read at once; the next is told it is busy, and is served once they go")
    func readerLimit() async throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/control.sock"
        let quiet = Logger(label: "control-test") { _ in SwiftLogNoOpLogHandler() }
        let pool = WorkerPool(config: SupervisorConfig(), workerBinary: "/bin/false", environment: [:],
                              notifier: SystemdNotifier(environment: [:]), logger: quiet)
        let server = try ControlServer(path: path, group: nil, pool: pool, logger: quiet) {
            ControlResponse(ok: true)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            // Waits without holding a thread: the server's tasks need one (two cores, busy with other suites).
            func until(_ what: String, _ condition: () -> Bool) async throws {
                let end = ContinuousClock.now + .seconds(600)
                while !condition() {
                    guard ContinuousClock.now < end else { throw TestFailure("timed out waiting for \(what)") }
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            try await until("the control socket") { (try? FrameSocket.connect(path: path))?.close() != nil }
            // Clients that connect and say nothing: each holds a reader for up to 5 s (so a slow run tops them up).
            var silent: [FrameSocket] = []
            var busy: ControlResponse?
            try await until("the limit to be reached") {
                for _ in 0 ..< ControlServer.maxReading where silent.count < 512 {
                    if let s = try? FrameSocket.connect(path: path) { silent.append(s) }
                }
                busy = try? ControlClient.send(ControlRequest(command: .version), socket: path, timeout: .seconds(5))
                return busy?.ok == false
            }
            #expect(busy?.error?.hasPrefix("busy: 32 control connections") == true)
            for s in silent { s.close() }
            try await until("a reader to be free again") {
                (try? ControlClient.send(ControlRequest(command: .version), socket: path, timeout: .seconds(5)))?.ok == true
            }
            group.cancelAll()
        }
    }

    private func vkserved(_ dir: TemporaryDirectory, _ arguments: [String]) throws
        -> (status: Int32, out: String, err: String)
    {
        var all = ["--config", "/dev/null", "--log", "stderr", "--listen", "127.0.0.1:\(try freePort())",
                   "--set", "workers.vulkan=0", "--set", "workers.cpu=1"]
        if !arguments.contains("--runtime-dir") { all += ["--runtime-dir", dir.path + "/run"] }
        if !arguments.contains("--control-socket") { all += ["--control-socket", dir.path + "/control.sock"] }
        return try runCommand(Paths.product("vkserved"), all + arguments)
    }
}

extension EndToEnd {
    @Suite("vkserved control socket ownership")
    struct ControlSocketOwnershipTests {
        @Test("a stale socket is replaced; at exit vkserved removes its socket only while it is still its own")
        func staleAndOwnSocket() throws {
            let s = try Supervised(workers: "vulkan = 0\ncpu = 1")
            try waitUntil("the control socket", timeout: 30) { s.statusIfUp() != nil }
            // Killed outright: the socket file stays behind, with nobody listening.
            kill(s.process.processIdentifier, SIGKILL)
            s.process.waitUntilExit()
            #expect(FileManager.default.fileExists(atPath: s.controlSocket))

            let again = Process()
            again.executableURL = URL(fileURLWithPath: Paths.product("vkserved"))
            again.arguments = ["--config", s.configPath, "--log", "stderr", "--listen", "127.0.0.1:\(try freePort())"]
            let log = s.dir.appendingPathComponent("again.log").path
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            again.standardError = FileHandle(forWritingAtPath: log)
            again.standardOutput = again.standardError
            try again.run()
            defer { if again.isRunning { kill(again.processIdentifier, SIGKILL) } }
            try waitUntil("the second vkserved's control socket", timeout: 30) { s.statusIfUp() != nil }
            let text = try String(contentsOfFile: log, encoding: .utf8)
            #expect(text.contains("removed a stale socket"), "\(text.suffix(2000))")

            // Someone else's socket now sits at the path: vkserved's exit must not remove it.
            unlink(s.controlSocket)
            let other = try listeningSocket(s.controlSocket)
            defer { close(other) }
            var before = stat()
            #expect(lstat(s.controlSocket, &before) == 0)
            kill(again.processIdentifier, SIGTERM)
            try waitUntil("the second vkserved to stop", timeout: 30) { !again.isRunning }
            var after = stat()
            #expect(lstat(s.controlSocket, &after) == 0 && after.st_ino == before.st_ino)
        }
    }
}

/// A listening Unix socket at `path`, as another vkserved would hold.
private func listeningSocket(_ path: String) throws -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        raw.copyBytes(from: Array(path.utf8) + [0])
    }
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    }
    guard bound == 0, listen(fd, 4) == 0 else { throw TestFailure("cannot listen on \(path): \(errno)") }
    return fd
}

/// A fresh 0755 directory under /tmp, removed when the value goes away.
private final class TemporaryDirectory {
    let path: String

    init() throws {
        path = "/tmp/vks-ctl-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        guard mkdir(path, 0o755) == 0 else { throw TestFailure("mkdir \(path): \(errno)") }
        chmod(path, 0o755)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
