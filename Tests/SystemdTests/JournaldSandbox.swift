import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `scripts/journald-sandbox.sh` run by a test: a private journald in its own mount namespace.
final class JournaldSandbox {
    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/journald-sandbox.sh")

    /// Whether this machine can run it: root, util-linux's namespace tools, logger, journalctl and journald.
    static var isAvailable: Bool {
        getuid() == 0
            && ["unshare", "nsenter", "setpriv", "logger", "journalctl"].allSatisfy { Subprocess.which($0) != nil }
            && FileManager.default.isExecutableFile(atPath: "/lib/systemd/systemd-journald")
    }

    let process = Process()
    let folder: URL
    var pidFile: URL { folder.appendingPathComponent("journald.pid") }
    var logFile: URL { folder.appendingPathComponent("sandbox.log") }
    /// journald's PID, readable once the sandbox is up.
    private(set) var journaldPID: Int32 = 0

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Starts the script and waits (at most `timeout` seconds) for its PIDFILE.
    init(timeout: Double = 10) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("vkst-journald-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let log = try FileHandle(forWritingTo: logFile)
        process.executableURL = Self.script
        process.arguments = [pidFile.path]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = log
        process.standardError = log
        try process.run()
        try? log.close()
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let text = try? String(contentsOf: pidFile, encoding: .utf8),
                let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                journaldPID = pid
                return
            }
            guard process.isRunning else { break }
            usleep(50_000)
        }
        let captured = output
        stop(signal: SIGKILL)
        throw Failure(description: "journald sandbox did not come up (exit \(process.terminationStatus)): \(captured)")
    }

    deinit {
        if process.isRunning { stop(signal: SIGKILL) }
        try? FileManager.default.removeItem(at: folder)
    }

    /// What the script and journald wrote on stdout and stderr.
    var output: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// Runs `command` inside the sandbox's mount namespace.
    func run(_ command: [String], input: String? = nil) throws -> Subprocess.Result {
        try Subprocess.run(["nsenter", "-t", "\(journaldPID)", "--mount", "--"] + command, input: input)
    }

    /// Sends `signal` to the script and waits (at most `timeout` seconds) for it to exit; whether it did.
    @discardableResult
    func stop(signal: Int32 = SIGTERM, timeout: Double = 10) -> Bool {
        if process.isRunning { kill(process.processIdentifier, signal) }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { return false }
        process.waitUntilExit()
        return true
    }

    /// Whether process `pid` is gone: no such process, or a zombie waiting for its reaper.
    static func isGone(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        // The state follows the command name in parentheses.
        guard let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).prefix(1)
        return state == "Z" || state == "X"
    }

    /// Waits (at most `timeout` seconds) for `pid` to be gone; whether it is.
    static func waitGone(_ pid: Int32, timeout: Double = 5) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !isGone(pid) && Date() < deadline { usleep(20_000) }
        return isGone(pid)
    }
}
