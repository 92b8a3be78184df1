import ControlProtocol
import Foundation

/// A real vkserved with real workers on SmolLM2, a notify socket standing in for systemd's,
/// and optionally a private journald that vkserved logs to.
public final class Supervised {
    public let dir: URL
    public let configPath: String
    public let controlSocket: String
    public let notify: NotifyListener
    public let process = Process()
    public let logPath: String
    /// The HTTP API's port on 127.0.0.1.
    public let port: Int
    public var baseURL: String { "http://127.0.0.1:\(port)" }
    private var journal: Process?
    public private(set) var journalPID: Int32?

    /// `workers` and extra TOML sections go into the configuration; `environment` into vkserved's (and so the
    /// workers') environment.
    /// `launcher`, when given, is a command line that execs vkserved with its arguments appended (the test's
    /// port is then given as `port`).
    public init(workers: String, restart: String = "", limits: String = "", extra: String = "", modelSlots: Int = 4, modelExtra: String = "",
         every: String = "0s", jitter: String? = nil, stallTimeout: String = "2s", heartbeatTimeout: String = "1500ms",
         drainTimeout: String = "5s", environment: [String: String] = [:], journald: Bool = false,
         watchdogUsec: Int? = 1_000_000, port: Int? = nil, launcher: [String] = []) throws {
        dir = URL(fileURLWithPath: "/tmp/vks-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        // 0755 whatever the umask: vkserved refuses a socket directory others may write to.
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        configPath = dir.appendingPathComponent("vkserve.toml").path
        controlSocket = dir.appendingPathComponent("control.sock").path
        logPath = dir.appendingPathComponent("vkserved.log").path
        self.port = try port ?? freePort()
        let config = """
            listen = "127.0.0.1:\(self.port)"
            control_socket = "\(controlSocket)"
            runtime_dir = "\(dir.path)/run"
            [model]
            path = "\(Paths.smol)"
            context = 512
            slots = \(modelSlots)
            \(modelExtra)
            [workers]
            threads = 1
            \(workers)
            [health]
            heartbeat_interval = "200ms"
            heartbeat_timeout = "\(heartbeatTimeout)"
            stall_timeout = "\(stallTimeout)"
            start_timeout = "120s"
            [restart]
            every = "\(every)"
            \(jitter.map { "jitter = \"\($0)\"" } ?? "")
            backoff_initial = "200ms"
            backoff_max = "2s"
            fatal_after = 3
            fatal_retry = "1h"
            stable_after = "30s"
            drain_timeout = "\(drainTimeout)"
            \(restart)
            [failover]
            probe_initial = "1s"
            probe_max = "2s"
            [limits]
            \(limits)
            \(extra)
            """
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        notify = try NotifyListener(path: dir.appendingPathComponent("notify.sock").path)

        var env = ProcessInfo.processInfo.environment
        env["NOTIFY_SOCKET"] = notify.path
        if let watchdogUsec { env["WATCHDOG_USEC"] = "\(watchdogUsec)" }
        env["SWIFT_BACKTRACE"] = "enable=no"
        env.merge(environment) { $1 }
        var arguments = ["--config", configPath, "--log-level", "debug"]
        if journald {
            let pidFile = dir.appendingPathComponent("journal.pid").path
            let sandbox = Process()
            sandbox.executableURL = URL(fileURLWithPath: Paths.root.appendingPathComponent("scripts/journald-sandbox.sh").path)
            sandbox.arguments = [pidFile]
            sandbox.standardOutput = FileHandle.nullDevice
            try sandbox.run()
            journal = sandbox
            try waitUntil("the journald sandbox", timeout: 120) { FileManager.default.fileExists(atPath: pidFile) }
            let pid = Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))!
            journalPID = pid
            process.executableURL = URL(fileURLWithPath: "/usr/bin/nsenter")
            arguments = ["-t", "\(pid)", "--mount", "--", Paths.product("vkserved")] + arguments + ["--log", "journal"]
        } else if let first = launcher.first {
            // A program that execs vkserved in its place (keeping this process's watch on it), e.g. a socket
            // activator.
            process.executableURL = URL(fileURLWithPath: first)
            arguments = launcher.dropFirst() + [Paths.product("vkserved")] + arguments + ["--log", "stderr"]
        } else {
            process.executableURL = URL(fileURLWithPath: Paths.product("vkserved"))
            arguments += ["--log", "stderr"]
        }
        process.arguments = arguments
        process.environment = env
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = FileHandle(forWritingAtPath: logPath)!
        process.standardError = log
        process.standardOutput = log
        try process.run()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        if let journal, journal.isRunning {
            // The sandbox stops journald within 5 s of SIGTERM; SIGKILL (which takes journald down with it) after 30.
            kill(journal.processIdentifier, SIGTERM)
            _ = try? waitUntil("the journald sandbox to stop", timeout: 30) { !journal.isRunning }
            if journal.isRunning {
                kill(journal.processIdentifier, SIGKILL)
                journal.waitUntilExit()
            }
        }
        try? FileManager.default.removeItem(at: dir)
    }

    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    public func status() throws -> PoolStatus {
        let r = try ControlClient.send(ControlRequest(command: .status), socket: controlSocket, timeout: .seconds(10))
        guard let s = r.status else { throw TestFailure("status failed: \(r.error ?? "?")") }
        return s
    }

    /// The status, or nil while the control socket is not up yet.
    public func statusIfUp() -> PoolStatus? { try? status() }

    public func row(_ name: String) throws -> PoolStatus.Row {
        guard let r = try status().rows.first(where: { $0.name == name }) else { throw TestFailure("no row \(name)") }
        return r
    }

    /// Waits until every worker is running; returns the seconds it took.
    @discardableResult
    public func waitAllRunning(timeout: Double = 60) throws -> Double {
        try waitUntil("all workers running\n\(log.suffix(3000))", timeout: timeout) {
            guard process.isRunning else { throw TestFailure("vkserved exited: \(log.suffix(3000))") }
            return statusIfUp()?.allRunning ?? false
        }
    }

    /// An HTTP request with curl: status, body, and the response headers (lower-cased names).
    public func http(_ path: String, body: String? = nil, method: String? = nil, headers: [String] = [],
              timeout: Double = 60) throws -> (status: Int, body: String, headers: [String: String]) {
        let headerFile = dir.appendingPathComponent("headers-\(UInt32.random(in: 0 ... .max))").path
        defer { unlink(headerFile) }
        var args = ["-s", "-o", "-", "-D", headerFile, "-w", "\n%{http_code}", "--max-time", "\(timeout)"]
        if let method { args += ["-X", method] }
        for h in headers { args += ["-H", h] }
        if let body {
            let bodyFile = dir.appendingPathComponent("body-\(UInt32.random(in: 0 ... .max))").path
            try body.write(toFile: bodyFile, atomically: true, encoding: .utf8)
            args += ["-H", "Content-Type: application/json", "--data-binary", "@\(bodyFile)"]
        }
        let r = try runCommand("/usr/bin/curl", args + [baseURL + path])
        var lines = r.out.split(separator: "\n", omittingEmptySubsequences: false)
        let status = Int(lines.popLast() ?? "") ?? 0
        var parsed: [String: String] = [:]
        for line in ((try? String(contentsOfFile: headerFile, encoding: .utf8)) ?? "").split(separator: "\r\n") {
            if let colon = line.firstIndex(of: ":") {
                parsed[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return (status, lines.joined(separator: "\n"), parsed)
    }

    /// A /metrics scrape (curl: a client independent of the server's and the bench's own).
    public func metrics() throws -> String {
        let r = try http("/metrics", timeout: 30)
        guard r.status == 200 else { throw TestFailure("GET /metrics answered \(r.status)") }
        return r.body
    }

    /// The sum of every sample of metric `name` (all label sets) in a /metrics scrape; 0 when absent.
    public func metric(_ name: String) throws -> Double {
        try metrics().split(separator: "\n")
            .filter { $0.hasPrefix(name + "{") || $0.hasPrefix(name + " ") }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
    }

    /// The value of one sample, named with its labels as exposed (`name{label="v"}`), in scrape `text`; 0 when absent.
    public func metric(_ sample: String, in text: String) -> Double {
        for line in text.split(separator: "\n") where line.hasPrefix(sample + " ") {
            return Double(line.dropFirst(sample.count + 1)) ?? 0
        }
        return 0
    }

    /// The served model id.
    public var modelID: String { "SmolLM2-135M-Instruct.Q4_1" }

    /// Runs one of Tests/clients/*.py with python3; its last stdout line parsed as JSON.
    public func python(_ script: String, _ arguments: [String]) throws -> (status: Int32, json: [String: Any], err: String) {
        let path = Paths.root.appendingPathComponent("Tests/clients/\(script)").path
        let r = try runCommand("/usr/bin/env", ["python3", path] + arguments)
        let last = r.out.split(separator: "\n").last.map(String.init) ?? ""
        let json = (try? JSONSerialization.jsonObject(with: Data(last.utf8))) as? [String: Any] ?? [:]
        return (r.status, json, r.err + r.out)
    }

    /// Starts one of Tests/clients/*.py in the background; `wait()` returns its JSON summary.
    public func pythonInBackground(_ script: String, _ arguments: [String]) throws -> BackgroundPython {
        try BackgroundPython(path: Paths.root.appendingPathComponent("Tests/clients/\(script)").path, arguments: arguments)
    }

    /// Runs supervisorctl against this vkserved.
    @discardableResult
    public func ctl(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let command = arguments.first.map { [$0] } ?? []
        return try runCommand(Paths.product("supervisorctl"), command + ["--socket", controlSocket] + arguments.dropFirst())
    }

    /// journalctl inside the sandbox: one JSON object per entry.
    public func journal(_ matches: [String]) throws -> [[String: Any]] {
        guard let pid = journalPID else { throw TestFailure("no journald sandbox") }
        let r = try runCommand("/usr/bin/nsenter", ["-t", "\(pid)", "--mount", "--", "journalctl", "--no-pager",
                                                    "-o", "json"] + matches)
        return r.out.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// SIGTERM, then the exit status (SIGKILL after `timeout`).
    public func terminate(timeout: Double = 30) throws -> Int32 {
        kill(process.processIdentifier, SIGTERM)
        let start = Date()
        while process.isRunning && Date().timeIntervalSince(start) < timeout { usleep(50_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw TestFailure("vkserved did not exit within \(timeout) s of SIGTERM")
        }
        return process.terminationStatus
    }
}
