import Foundation
@_exported import TestHarness

/// Whether the `openai` Python package can be imported.
let hasOpenAIClient: Bool = (try? runCommand("/usr/bin/env", ["python3", "-c", "import openai"]).status) == 0

/// A Python client running while the test injects faults.
final class BackgroundPython {
    let process = Process()
    private let out = Pipe()
    private let err = Pipe()

    init(path: String, arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", path] + arguments
        process.standardOutput = out
        process.standardError = err
        try process.run()
    }

    /// Waits for the exit; the last stdout line as JSON.
    func wait() throws -> [String: Any] {
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
