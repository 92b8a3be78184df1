import Foundation

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

enum Paths {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let smol = root.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path
    static let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    static func product(_ name: String) -> String { products.appendingPathComponent(name).path }
}

/// Polls `condition` every 50 ms until it holds or `timeout` passes; returns the seconds it took.
@discardableResult
func waitUntil(_ what: String, timeout: Double, _ condition: () throws -> Bool) throws -> Double {
    let start = Date()
    while true {
        if try condition() { return Date().timeIntervalSince(start) }
        if Date().timeIntervalSince(start) > timeout {
            throw TestFailure("timed out after \(timeout) s waiting for \(what)")
        }
        usleep(50_000)
    }
}

/// A TCP port on 127.0.0.1 nobody listens on right now.
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0
        }
    }
    guard ok else { throw TestFailure("no free port") }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// A temporary folder removed when the value goes away.
final class TemporaryFolder {
    let path: String

    init(_ tag: String) throws {
        path = "/tmp/vkbench-\(tag)-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// `vkserve` run as a user would: exit status, stdout, stderr.
struct VkserveRun {
    var status: Int32
    var out: String
    var err: String
}

func vkserve(_ arguments: [String], environment: [String: String] = [:]) throws -> VkserveRun {
    let p = try startVkserve(arguments, environment: environment)
    p.process.waitUntilExit()
    return p.result
}

/// `vkserve` started in the background, its output going to files.
final class RunningVkserve {
    let process = Process()
    private let outPath: String
    private let errPath: String

    init(_ arguments: [String], environment: [String: String]) throws {
        let tag = "\(getpid())-\(UInt32.random(in: 0 ... .max))"
        outPath = "/tmp/vkbench-out-\(tag)"
        errPath = "/tmp/vkbench-err-\(tag)"
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: Paths.product("vkserve"))
        process.arguments = arguments
        process.currentDirectoryURL = Paths.root
        var env = ProcessInfo.processInfo.environment
        env["SWIFT_BACKTRACE"] = "enable=no"
        env.merge(environment) { $1 }
        process.environment = env
        process.standardOutput = FileHandle(forWritingAtPath: outPath)
        process.standardError = FileHandle(forWritingAtPath: errPath)
        try process.run()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        unlink(outPath)
        unlink(errPath)
    }

    var result: VkserveRun {
        VkserveRun(
            status: process.isRunning ? -1 : process.terminationStatus,
            out: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
            err: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }
}

func startVkserve(_ arguments: [String], environment: [String: String] = [:]) throws -> RunningVkserve {
    try RunningVkserve(arguments, environment: environment)
}
