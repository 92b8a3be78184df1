import ArgumentParser
import Bench
import Foundation

/// What `bench load` and `bench soak` share on the command line: the API key, and how a run ends.
enum BenchRun {
    /// `--api-key`, else `$VKSERVE_API_KEY`; nil when neither gives a non-empty key.
    static func apiKey(_ option: String?) -> String? {
        let key = option ?? ProcessInfo.processInfo.environment["VKSERVE_API_KEY"]
        return key?.isEmpty == false ? key : nil
    }

    /// Runs a bench, prints its summary and where its files went, and exits with its verdict: 1 when an SLO
    /// or a check failed, 2 when the run itself failed (said on stderr).
    static func finish(reports: String, _ run: () async throws -> (text: String, verdict: BenchVerdict)) async throws {
        let result: (text: String, verdict: BenchVerdict)
        do {
            result = try await run()
        } catch let failure as BenchFailure {
            FileHandle.standardError.write(Data("error: \(failure.description)\n".utf8))
            throw ExitCode(BenchVerdict.runFailed.rawValue)
        }
        print(result.text)
        print("reports: \(reports)")
        if result.verdict != .pass { throw ExitCode(result.verdict.rawValue) }
    }
}
