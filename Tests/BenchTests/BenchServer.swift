import ControlProtocol
import Foundation

/// A real vkserved (release build, beside the test bundle) with CPU workers on SmolLM2, on a free port, with its
/// own runtime folder and control socket; killed and cleaned up when the value goes away.
final class BenchServer {
    let dir: URL
    let controlSocket: String
    let port: Int
    let process = Process()
    let logPath: String
    var url: String { "http://127.0.0.1:\(port)" }

    init(slots: Int = 4, workers: Int = 1, extra: String = "") throws {
        dir = URL(fileURLWithPath: "/tmp/vkbench-srv-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        // 0755 whatever the umask: vkserved refuses a socket directory others may write to.
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        controlSocket = dir.appendingPathComponent("control.sock").path
        logPath = dir.appendingPathComponent("vkserved.log").path
        port = try freePort()
        let config = """
            listen = "127.0.0.1:\(port)"
            control_socket = "\(controlSocket)"
            runtime_dir = "\(dir.path)/run"
            [model]
            path = "\(Paths.smol)"
            context = 512
            slots = \(slots)
            [workers]
            vulkan = 0
            cpu = \(workers)
            threads = 1
            [health]
            heartbeat_interval = "200ms"
            heartbeat_timeout = "2s"
            stall_timeout = "10s"
            start_timeout = "60s"
            [restart]
            every = "0"
            drain_timeout = "20s"
            \(extra)
            """
        let configPath = dir.appendingPathComponent("vkserve.toml").path
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: Paths.product("vkserved"))
        process.arguments = ["--config", configPath, "--log", "stderr"]
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "NOTIFY_SOCKET")
        env["SWIFT_BACKTRACE"] = "enable=no"
        process.environment = env
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = FileHandle(forWritingAtPath: logPath)!
        process.standardError = log
        process.standardOutput = log
        try process.run()
        try waitUntil("vkserved ready\n\(self.log.suffix(2000))", timeout: 90) {
            guard process.isRunning else { throw TestFailure("vkserved exited: \(self.log.suffix(3000))") }
            let s = try? ControlClient.send(
                ControlRequest(command: .status), socket: controlSocket, timeout: .seconds(5))
            return s?.status?.allRunning ?? false
        }
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: dir)
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    func status() throws -> PoolStatus {
        let r = try ControlClient.send(ControlRequest(command: .status), socket: controlSocket, timeout: .seconds(10))
        guard let s = r.status else { throw TestFailure("status failed: \(r.error ?? "?")") }
        return s
    }

    /// /metrics, read with curl (a client independent of the bench's own).
    func metrics() throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        p.arguments = ["-s", "--max-time", "10", url + "/metrics"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw TestFailure("curl /metrics failed") }
        return String(decoding: data, as: UTF8.self)
    }

    /// The value of one sample line (`name{labels} value`), 0 when absent.
    func metric(_ line: String, in text: String) -> Double {
        for l in text.split(separator: "\n") where l.hasPrefix(line + " ") {
            return Double(l.dropFirst(line.count + 1)) ?? 0
        }
        return 0
    }
}
