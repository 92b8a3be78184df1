import ArgumentParser
import Bench
import Foundation

/// `vkserve bench report`: renders a run's report again from its files, or compares two runs.
struct BenchReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Render a load or soak report again from its files, or compare two runs side by side.",
        discussion: """
            With one folder: reads its summary.json, requests.jsonl and samples.jsonl and writes report.md and its \
            charts again (into --out if given). A soak killed before its end (no summary.json) is judged from its \
            samples. With two folders (before, after): a table of every figure with the change and whether it got \
            better or worse, and overlaid charts, written into --out (default: the second folder's compare/).
            """)

    @Argument(help: "The --out folder of a bench load or soak run.") var dir: String
    @Argument(help: "A second run to compare with the first (before → after).") var dir2: String?
    @Option(help: "Where to write the report.") var out: String?
    @Flag(help: "Judge a finished soak again from its samples under this vkserve's rules, then render it.")
    var rejudge = false
    @Option(help: "With --rejudge: requests a latency window must hold before its mean counts.")
    var minWindowRequests: Int?

    func run() throws {
        do {
            if let dir2 {
                print(try BenchReport.compare(dir, dir2, out: out))
            } else {
                if rejudge { _ = try BenchReport.rejudgeSoak(dir, minWindowRequests: minWindowRequests) }
                print(try BenchReport.render(dir, out: out))
                print("report: \(out ?? dir)/report.md")
            }
        } catch let failure as BenchFailure {
            FileHandle.standardError.write(Data("error: \(failure.description)\n".utf8))
            throw ExitCode(BenchVerdict.runFailed.rawValue)
        }
    }
}
