import Foundation

/// A Python client running while the test injects faults.
public final class BackgroundPython {
    public let process = Process()
    private let out = Pipe()
    private let err = Pipe()

    public init(path: String, arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", path] + arguments
        process.standardOutput = out
        process.standardError = err
        try process.run()
    }

    /// Waits for the exit; the last stdout line as JSON.
    public func wait() throws -> [String: Any] {
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let last = String(decoding: o, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
        guard let json = (try? JSONSerialization.jsonObject(with: Data(last.utf8))) as? [String: Any] else {
            throw TestFailure("the client printed no summary: \(String(decoding: e, as: UTF8.self).suffix(2000))")
        }
        return json
    }
}
