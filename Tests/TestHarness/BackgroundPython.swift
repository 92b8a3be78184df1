import Foundation

/// A Python client running while the test injects faults. Its output is drained while it runs (``ChildOutput``).
public final class BackgroundPython {
    public let process = Process()
    private let output: ChildOutput

    public init(path: String, arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", path] + arguments
        output = try ChildOutput(running: process)
    }

    /// Waits for the exit (the client is killed after `timeout` seconds); the last stdout line as JSON.
    public func wait(timeout: Double = 600) throws -> [String: Any] {
        let r = try output.finish(process, what: "python3 \(process.arguments?.dropFirst().first ?? "")", timeout: timeout)
        let last = r.out.split(separator: "\n").last.map(String.init) ?? ""
        guard let json = (try? JSONSerialization.jsonObject(with: Data(last.utf8))) as? [String: Any] else {
            throw TestFailure("the client printed no summary: \(r.err.suffix(2000))")
        }
        return json
    }
}
