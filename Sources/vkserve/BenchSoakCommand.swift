import ArgumentParser
import Bench
import Foundation

/// `vkserve bench soak`: the stability protocol against a running vkserved.
struct BenchSoakCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soak",
        abstract: "Run the stability protocol against a running vkserved and judge it.",
        discussion: """
            Bursts of requests every --every for --active, then an idle period, over and over; every \
            --restart-every a restart of all workers through the control socket; every --sample a sample of VRAM, \
            worker and supervisor RSS, the window's latency, errors and GPU temperature, appended to samples.jsonl \
            as taken. Judged at the end: VRAM growth and memory drift (regression slope with a 95 % interval), \
            latency variation across windows (warm-up and restart windows left out), crashes and unexpected \
            restarts (the server's vkserve_worker_exits_total), clean restarts, failed requests. --time-scale K \
            divides every protocol duration (48h at 144 runs in 20 minutes); requests still take their real time.

            Exit status: 0 pass, 1 a check failed, 2 the soak could not run, 64 bad arguments.
            """)

    @Option(help: "Base address of vkserved's HTTP API.") var url: String
    @Option(help: "Folder for summary.json, samples.jsonl, requests.jsonl and report.md.") var out: String
    @Option(help: "Length of the protocol.") var duration = "48h"
    @Option(help: "Requests per burst: N or MIN..MAX.") var burst = "50..100"
    @Option(help: "A burst this often while active.") var every = "30s"
    @Option(help: "Active stretch between idle periods.") var active = "30m"
    @Option(help: "Idle periods: D or MIN..MAX.") var idle = "5m..10m"
    @Option(help: "Restart all workers this often through the control socket (0: never).") var restartEvery = "12h"
    @Option(help: "Sample (and close a latency window) this often.") var sample = "5m"
    @Option(help: "Windows ending within this time of the start are warm-up.") var warmup = "10m"
    @Option(help: "Divide every protocol duration by this.") var timeScale = 1.0
    @Option(help: "vkserved's control socket.") var controlSocket = "/run/vkserve/control.sock"
    @Option(help: "max_tokens of every request.") var maxTokens = 256
    @Option(help: "Most requests of a burst in flight at once.") var concurrency = 12
    @Option(help: "Synthesise prompts of about this many tokens.") var promptTokens: Int?
    @Option(help: "Prompts file: one prompt a line, or JSON lines with a \"prompt\" member.") var prompts: String?
    @Option(help: "Bearer API key (default: $VKSERVE_API_KEY).") var apiKey: String?
    @Option(help: "completions or chat.") var endpoint = "completions"
    @Option(help: "Model to name in requests (default: the server's).") var model: String?
    @Option(help: "Sampling temperature.") var temperature = 1.0
    @Option(help: "Seed of burst sizes, idle lengths, prompts and sampling.") var seed: UInt64 = 1
    @Option(help: "Longest a request may take (real time).") var timeout = "5m"
    @Option(help: "Longest a restart may take (real time).") var restartTimeout = "5m"
    @Option(help: "Largest VRAM or RSS growth that passes.") var maxMemoryGrowth = "100MB"
    @Option(help: "Largest variation of windowed mean latency that passes (a fraction or N%).")
    var maxLatencyVariation = "5%"
    @Option(help: "Requests a latency window must hold before its mean counts (shorter windows are pooled).")
    var minWindowRequests = 30
    @Flag(help: "No progress output.") var quiet = false

    var resolvedAPIKey: String? { BenchRun.apiKey(apiKey) }

    func configurationValue() throws -> SoakConfiguration {
        var c = SoakConfiguration(url: url, out: out)
        guard let e = CompletionEndpoint(rawValue: endpoint) else {
            throw ValidationError("--endpoint must be completions or chat, not '\(endpoint)'")
        }
        c.endpoint = e
        c.controlSocket = controlSocket
        c.durationS = try BenchDuration.seconds(duration, option: "--duration")
        (c.burstMin, c.burstMax) = try Self.countRange(burst, option: "--burst")
        c.everyS = try BenchDuration.seconds(every, option: "--every")
        c.activeS = try BenchDuration.seconds(active, option: "--active")
        (c.idleMinS, c.idleMaxS) = try Self.durationRange(idle, option: "--idle")
        c.restartEveryS = restartEvery == "0" ? 0 : try BenchDuration.seconds(restartEvery, option: "--restart-every")
        c.sampleS = try BenchDuration.seconds(sample, option: "--sample")
        c.warmupS = warmup == "0" ? 0 : try BenchDuration.seconds(warmup, option: "--warmup")
        c.timeScale = timeScale
        c.maxTokens = maxTokens
        c.concurrency = concurrency
        c.promptTokens = promptTokens
        c.promptsFile = prompts
        c.model = model
        c.temperature = temperature
        c.seed = seed
        c.timeoutS = try BenchDuration.seconds(timeout, option: "--timeout")
        c.restartTimeoutS = try BenchDuration.seconds(restartTimeout, option: "--restart-timeout")
        c.maxMemoryGrowthBytes = try Self.bytes(maxMemoryGrowth, option: "--max-memory-growth")
        c.maxLatencyVariation = try Self.fraction(maxLatencyVariation, option: "--max-latency-variation")
        guard minWindowRequests >= 1 else { throw ValidationError("--min-window-requests must be at least 1") }
        c.minWindowRequests = minWindowRequests
        c.apiKeyGiven = resolvedAPIKey != nil
        do {
            try c.validate()
        } catch {
            throw ValidationError(error.description)
        }
        return c
    }

    func validate() throws { _ = try configurationValue() }

    func run() async throws {
        try await BenchRun.finish(reports: "\(out)/report.md, summary.json, samples.jsonl, requests.jsonl") {
            let summary = try await SoakTest.run(try configurationValue(), apiKey: resolvedAPIKey, quiet: quiet)
            return (summary.text, summary.exitCode)
        }
    }

    /// `N` or `MIN..MAX`.
    static func countRange(_ text: String, option: String) throws -> (Int, Int) {
        let parts = text.components(separatedBy: "..")
        guard parts.count <= 2, let low = Int(parts[0]), let high = Int(parts.last!), low >= 1, high >= low else {
            throw ValidationError("\(option) must be N or MIN..MAX with 1 <= MIN <= MAX, not '\(text)'")
        }
        return (low, high)
    }

    /// `D` or `MIN..MAX` durations.
    static func durationRange(_ text: String, option: String) throws -> (Double, Double) {
        let parts = text.components(separatedBy: "..")
        guard parts.count <= 2 else { throw ValidationError("\(option) must be D or MIN..MAX, not '\(text)'") }
        let low = parts[0] == "0" ? 0 : try BenchDuration.seconds(parts[0], option: option)
        let high = parts.count == 1 ? low : parts[1] == "0" ? 0 : try BenchDuration.seconds(parts[1], option: option)
        guard high >= low else { throw ValidationError("\(option): MIN must not exceed MAX in '\(text)'") }
        return (low, high)
    }

    /// `100MB`, `50MiB`, `1GB`, or a number of bytes.
    static func bytes(_ text: String, option: String) throws -> Double {
        let units: [(String, Double)] = [
            ("GiB", 1_073_741_824), ("MiB", 1_048_576), ("KiB", 1024), ("GB", 1e9), ("MB", 1e6),
            ("kB", 1e3), ("KB", 1e3), ("B", 1),
        ]
        for (unit, factor) in units where text.hasSuffix(unit) {
            if let v = Double(text.dropLast(unit.count)), v > 0 { return v * factor }
        }
        if let v = Double(text), v > 0 { return v }
        throw ValidationError("\(option) must be a size such as 100MB or 64MiB, not '\(text)'")
    }

    /// `5%` or `0.05`.
    static func fraction(_ text: String, option: String) throws -> Double {
        if text.hasSuffix("%"), let v = Double(text.dropLast()), v > 0 { return v / 100 }
        if let v = Double(text), v > 0, v < 1 { return v }
        throw ValidationError("\(option) must be a percentage such as 5% or a fraction such as 0.05, not '\(text)'")
    }
}
