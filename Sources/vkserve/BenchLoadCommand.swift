import ControlProtocol
import ArgumentParser
import Bench
import Foundation

/// `vkserve bench load`: the concurrency load test against a running vkserved.
struct BenchLoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Load a running vkserved with streamed completions and judge the result.",
        discussion: """
            Closed loop (--concurrency clients, each sending its next request when the previous one ends) or open \
            loop (--rate requests/s with Poisson arrivals; latencies count from each request's scheduled time). \
            Measures time to first token, every inter-token gap, time per output token and end-to-end latency \
            (merged HdrHistograms), aggregate output tokens/s, errors by kind, the server's VRAM and RSS (from \
            /metrics) and nvidia-smi's GPUs where present, and the bench's own CPU use. Writes summary.json, \
            requests.jsonl, samples.jsonl and report.md into --out.

            Exit status: 0 the run passed its --slo (or had none), 1 an SLO clause failed, 2 the run itself \
            failed (server unreachable, nothing succeeded), 64 bad arguments.
            """)

    @Option(help: "Base address of vkserved's HTTP API, such as http://127.0.0.1:8080.") var url: String
    @Option(help: "Folder for summary.json, requests.jsonl, samples.jsonl and report.md.") var out: String
    @Option(help: "Concurrent clients (closed loop).") var concurrency = 12
    @Option(help: "Requests of the measured phase (default 10000 unless --duration).") var requests: Int?
    @Option(help: "Run the measured phase this long instead (10m, 90s, 1h).") var duration: String?
    @Option(help: "max_tokens of every request.") var maxTokens = 256
    @Option(help: "Synthesise prompts of about this many tokens.") var promptTokens: Int?
    @Option(help: "Prompts file: one prompt a line, or JSON lines with a \"prompt\" member.") var prompts: String?
    @Option(help: "Open loop: requests per second.") var rate: Double?
    @Option(help: "Open-loop arrivals: poisson or uniform.") var arrival = "poisson"
    @Option(help: "Requests sent first and left out of the figures.") var warmup = 0
    @Option(help: "Seed of prompt choice, arrival times and sampling.") var seed: UInt64 = 1
    @Flag(help: "Run one client first and report the scaling efficiency.") var baseline = false
    @Option(help: "Requests of the single-client baseline.") var baselineRequests = 5
    @Option(help: "Service-level objective, e.g. p95_itl<50ms,p99_itl<100ms,efficiency>0.75,errors=0.") var slo: String?
    @Option(help: "Bearer API key (default: $VKSERVE_API_KEY).") var apiKey: String?
    @Option(help: "completions or chat.") var endpoint = "completions"
    @Option(help: "Model to name in requests (default: the server's).") var model: String?
    @Option(help: "Sampling temperature.") var temperature = 1.0
    @Flag(help: "Generate every request through end-of-sequence to --max-tokens (ignore_eos), as bench engine does.")
    var ignoreEos = false
    @Option(help: "Longest a request may take.") var timeout = "5m"
    @Option(help: "How often to sample the server's memory.") var sampleInterval = "2s"
    @Flag(help: "No progress output.") var quiet = false

    func configurationValue() throws -> LoadConfiguration {
        var c = LoadConfiguration(url: url, out: out)
        guard let e = CompletionEndpoint(rawValue: endpoint) else {
            throw ValidationError("--endpoint must be completions or chat, not '\(endpoint)'")
        }
        guard let a = LoadConfiguration.Arrival(rawValue: arrival) else {
            throw ValidationError("--arrival must be poisson or uniform, not '\(arrival)'")
        }
        c.endpoint = e
        c.arrival = a
        c.model = model
        c.concurrency = concurrency
        c.requests = requests
        c.durationS = try duration.map { try BenchDuration.seconds($0, option: "--duration") }
        c.maxTokens = maxTokens
        c.promptTokens = promptTokens
        c.promptsFile = prompts
        c.rate = rate
        c.warmup = warmup
        c.seed = seed
        c.baseline = baseline
        c.baselineRequests = baselineRequests
        c.slo = slo
        c.temperature = temperature
        c.ignoreEos = ignoreEos ? true : nil
        c.timeoutS = try BenchDuration.seconds(timeout, option: "--timeout")
        c.sampleIntervalS = try BenchDuration.seconds(sampleInterval, option: "--sample-interval")
        c.apiKeyGiven = resolvedAPIKey != nil
        do {
            try c.validate()
        } catch {
            throw ValidationError(error.description)
        }
        return c
    }

    var resolvedAPIKey: String? { BenchRun.apiKey(apiKey) }

    func validate() throws { _ = try configurationValue() }

    func run() async throws {
        try await BenchRun.finish(reports: "\(out)/report.md, summary.json, requests.jsonl, samples.jsonl") {
            let summary = try await LoadTest.run(try configurationValue(), apiKey: resolvedAPIKey, quiet: quiet)
            return (summary.text, summary.exitCode)
        }
    }
}

/// Durations on the command line, in the configuration's syntax (500ms, 30s, 5m, 1h30m, 2d).
enum BenchDuration {
    static func seconds(_ text: String, option: String) throws -> Double {
        guard let d = DurationText.parse(text), d > .zero else {
            throw ValidationError("\(option) must be a duration such as 500ms, 30s, 10m or 1h30m, not '\(text)'")
        }
        return d.seconds
    }
}
