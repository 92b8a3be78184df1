import ArgumentParser
import Foundation
import WorkerProtocol

#if canImport(Glibc)
import Glibc
#endif

/// The seed's concurrency test at engine level: a real worker, real socket, C concurrent clients.
struct BenchEngineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Start a worker and load it with concurrent generate requests over its socket.",
        discussion: """
            Reports per-token latency (gaps between a request's tokens), time to first token and \
            end-to-end latency (mean, median, stddev, P50, P95, P99, max, from HdrHistograms), aggregate \
            tokens/s, the same for one client, the scaling efficiency (aggregate ÷ (C × single)), and \
            the worker's memory before and after.
            """)

    @Option(help: "GGUF model file.") var model = "models/SmolLM2-135M-Instruct.Q4_1.gguf"
    @Option(help: "Compute backend: cpu or vulkan.") var backend = "cpu"
    @Option(help: "Vulkan device index.") var device: Int?
    @Option(help: "CPU threads of the worker (0: one per core).") var threads = 0
    @Option(help: "Concurrent clients (the worker gets as many slots).") var concurrency = 12
    @Option(help: "Requests in the concurrent run.") var requests = 48
    @Option(help: "Requests in the single-client run (0 skips it).") var singleRequests = 4
    @Option(help: "Tokens generated per request (end-of-generation tokens are ignored).") var maxTokens = 256
    @Option(help: "Target milliseconds of a step in which sequences decode (the worker's --step-target-ms; 0: none).")
    var stepTargetMs: Double = 40   // vkserved's default [model] step_target
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        guard concurrency >= 1, requests >= 1, maxTokens >= 2, singleRequests >= 0 else {
            throw ValidationError("--concurrency, --requests (1+), --max-tokens (2+) and --single-requests (0+) must be positive")
        }
        let workerBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("vkserve-worker").path
        guard FileManager.default.isExecutableFile(atPath: workerBinary) else {
            throw CommandFailure("vkserve-worker is not beside vkserve (\(workerBinary)); build both with `swift build -c release`")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vkserve-bench-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let socketPath = dir.appendingPathComponent("worker.sock").path
        let worker = Process()
        worker.executableURL = URL(fileURLWithPath: workerBinary)
        var args = ["--socket", socketPath, "--model", model, "--backend", backend, "--slots", "\(concurrency)",
                    "--context", "\(maxTokens + 64)", "--threads", "\(threads)",
                    "--batch-tokens", "\(max(128, concurrency + 64))", "--step-target-ms", "\(stepTargetMs)"]
        if let device { args += ["--device", "\(device)"] }
        worker.arguments = args
        try worker.run()
        defer {
            if worker.isRunning { kill(worker.processIdentifier, SIGTERM) }
            worker.waitUntilExit()
        }
        let socket = try connect(socketPath, worker: worker)
        try socket.send(SupervisorMessage.hello(Hello(client: "vkserve bench engine")).encoded())
        var device = ""
        waitLoop: while true {
            guard let frame = try socket.receive() else {
                worker.waitUntilExit()
                throw CommandFailure("the worker exited while loading (status \(worker.terminationStatus): "
                                     + "\(WorkerExitCode(status: worker.terminationStatus)?.meaning ?? "unknown"))")
            }
            switch try WorkerMessage.decode(try frame.get()) {
            case .ready(let r):
                device = r.device
                break waitLoop
            case .fault(let f): throw CommandFailure("the worker failed to load: \(f.kind.rawValue): \(f.message)")
            default: continue
            }
        }
        let (before, _) = try stats(socket)
        let prompts = [
            "Write a short story about a lighthouse keeper.", "Explain how a refrigerator works.",
            "List the planets of the solar system and one fact about each.", "What makes a good cup of coffee?",
            "Describe the water cycle to a child.", "Give me a recipe for pancakes.",
        ]
        let runner = EngineLoadRun(socket: socket, prompts: prompts, maxTokens: maxTokens)
        let single = singleRequests > 0 ? try runner.run(concurrency: 1, requests: singleRequests, tag: "single") : nil
        let (_, profileLoad) = try stats(socket)
        let many = try runner.run(concurrency: concurrency, requests: requests, tag: "load")
        let (after, profileAfter) = try stats(socket)
        try socket.send(SupervisorMessage.shutdown(deadlineMs: 5000).encoded())

        let report = BenchEngineReport(
            model: (model as NSString).lastPathComponent, backend: backend, device: device, concurrency: concurrency,
            max_tokens: maxTokens, requests: many.requests, errors: many.errors,
            itl: LatencySummary(many.itl), ttft: LatencySummary(many.ttft), e2e: LatencySummary(many.e2e),
            tokens_per_second: many.tokensPerSecond,
            single: single.map { .init(requests: $0.requests, tokens_per_second: $0.tokensPerSecond, itl: LatencySummary($0.itl)) },
            scaling_efficiency: single.map { many.tokensPerSecond / (Double(concurrency) * $0.tokensPerSecond) },
            memory_before: before, memory_after: after,
            step_breakdown: BenchEngineReport.Breakdown(before: profileLoad, after: profileAfter))
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try enc.encode(report), as: UTF8.self))
        } else {
            print(report.table)
        }
    }

    /// The worker's memory figures, from a `stats` round trip.
    func stats(_ socket: FrameSocket) throws -> (BenchEngineReport.Memory, StepTimes?) {
        try socket.send(SupervisorMessage.stats.encoded())
        while let frame = try socket.receive() {
            if case .stats(let s) = try WorkerMessage.decode(try frame.get()) {
                let m = s.heartbeat.memory
                return (.init(rss_bytes: m.rss, vram_used_bytes: m.vramUsed, vram_budget_bytes: m.vramBudget), s.profile)
            }
        }
        throw CommandFailure("the worker closed the connection")
    }

    func connect(_ path: String, worker: Process) throws -> FrameSocket {
        let start = Date()
        while Date().timeIntervalSince(start) < 60 {
            if let s = try? FrameSocket.connect(path: path) { return s }
            guard worker.isRunning else {
                throw CommandFailure("the worker exited (status \(worker.terminationStatus): "
                                     + "\(WorkerExitCode(status: worker.terminationStatus)?.meaning ?? "unknown"))")
            }
            usleep(20_000)
        }
        throw CommandFailure("the worker's socket did not appear within 60 s")
    }
}

struct BenchEngineReport: Encodable {
    struct Single: Encodable {
        var requests: Int
        var tokens_per_second: Double
        var itl: LatencySummary
    }

    struct Memory: Encodable {
        var rss_bytes: Int?
        var vram_used_bytes: Int?
        var vram_budget_bytes: Int?
    }

    var model: String
    var backend: String
    var device: String
    var concurrency: Int
    var max_tokens: Int
    var requests: Int
    var errors: [String: Int]
    var itl: LatencySummary
    var ttft: LatencySummary
    var e2e: LatencySummary
    var tokens_per_second: Double
    var single: Single?
    var scaling_efficiency: Double?
    var memory_before: Memory
    var memory_after: Memory
    var step_breakdown: Breakdown?

    /// The worker's compute time during the run by phase, per step.
    struct Breakdown: Encodable {
        var steps: UInt64
        var tokens_per_step: Double
        var ms_per_step: [String: Double]

        init?(before: StepTimes?, after: StepTimes?) {
            guard let after else { return nil }
            let b = before ?? StepTimes(steps: 0, tokens: 0, seconds: [:])
            steps = after.steps - min(after.steps, b.steps)
            guard steps > 0 else { return nil }
            tokens_per_step = Double(after.tokens - min(after.tokens, b.tokens)) / Double(steps)
            var ms: [String: Double] = [:]
            for (k, v) in after.seconds {
                let d = (v - (b.seconds[k] ?? 0)) * 1000 / Double(steps)
                if d > 0.0005 { ms[k] = d }
            }
            ms_per_step = ms
        }

        var table: String {
            let total = ms_per_step.values.reduce(0, +)
            var lines = [String(format: "step breakdown (worker, %d steps, %.1f tokens a step, %.2f ms a step):",
                                Int(steps), tokens_per_step, total)]
            for (k, v) in ms_per_step.sorted(by: { $0.value > $1.value }) {
                lines.append("  " + k.padding(toLength: 12, withPad: " ", startingAt: 0)
                             + String(format: " %8.3f ms  %5.1f %%", v, total > 0 ? 100 * v / total : 0))
            }
            return lines.joined(separator: "\n")
        }
    }

    var table: String {
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        var rows = [["latency (ms)", "mean", "median", "stddev", "P50", "P95", "P99", "max"]]
        for (name, s) in [("per-token (ITL), \(concurrency) clients", itl), ("time to first token", ttft),
                          ("end to end", e2e)] + (single.map { [("per-token (ITL), 1 client", $0.itl)] } ?? []) {
            rows.append([name, f(s.mean_ms), f(s.p50_ms), f(s.stddev_ms), f(s.p50_ms), f(s.p95_ms), f(s.p99_ms), f(s.max_ms)])
        }
        let widths = (0 ..< 8).map { c in rows.map { $0[c].count }.max()! }
        let lines = rows.map { r in (0 ..< 8).map { r[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ") }
        func mem(_ m: Memory) -> String {
            if let used = m.vram_used_bytes {
                return String(format: "VRAM %.0f MiB", Double(used) / 1048576)
                    + (m.vram_budget_bytes.map { String(format: " of %.0f MiB", Double($0) / 1048576) } ?? "")
            }
            return m.rss_bytes.map { String(format: "RSS %.0f MiB", Double($0) / 1048576) } ?? "-"
        }
        var out = "\(model) on \(device.isEmpty ? backend : device): \(requests) requests × \(max_tokens) tokens, "
            + "\(concurrency) concurrent clients\n" + lines.joined(separator: "\n") + "\n"
        out += "aggregate: \(f(tokens_per_second)) tok/s"
        if let single, let scaling_efficiency {
            out += "; 1 client: \(f(single.tokens_per_second)) tok/s; scaling efficiency "
                + String(format: "%.0f %%", scaling_efficiency * 100) + " (aggregate ÷ (\(concurrency) × single))"
        }
        out += "\nreference (llama.cpp 0c1e57098 batched decode, SmolLM2 Q4_1, 2 threads): 88 tok/s at 1, 163 tok/s at 12 (15 %)"
        out += "\nerrors: \(errors.isEmpty ? "none" : errors.map { "\($0.key) \($0.value)" }.sorted().joined(separator: ", "))"
        out += "\nworker memory: before \(mem(memory_before)), after \(mem(memory_after))"
        if let step_breakdown { out += "\n" + step_breakdown.table }
        return out
    }
}
