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
        if Date().timeIntervalSince(start) > timeout { throw TestFailure("timed out after \(timeout) s waiting for \(what)") }
        usleep(50_000)
    }
}

/// Runs a command to completion: exit status, stdout, stderr.
@discardableResult
func runCommand(_ executable: String, _ arguments: [String], environment: [String: String]? = nil)
    throws -> (status: Int32, out: String, err: String)
{
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    if let environment { p.environment = environment }
    let out = Pipe()
    let err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

/// Whether a process exists and is not a zombie.
func isAlive(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
    guard let close = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(close, offsetBy: 2)]
    return state != "Z" && state != "X"
}
