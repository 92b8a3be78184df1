import Foundation
@_exported import TestHarness

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
