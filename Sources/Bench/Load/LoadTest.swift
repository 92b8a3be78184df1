import Foundation

/// `vkserve bench load`: optional warm-up, optional single-client baseline, then the measured phase, with the
/// server's memory sampled throughout; judged by the SLO and written to summary.json, requests.jsonl,
/// samples.jsonl and report.md.
public enum LoadTest {
    public static func run(
        _ config: LoadConfiguration, apiKey: String?, quiet: Bool = false
    ) async throws -> LoadSummary {
        try config.validate()
        let slo = try config.slo.map { try SLOExpression.parse($0) }
        let prompts = try PromptSource.choose(file: config.promptsFile, tokens: config.promptTokens, seed: config.seed)
        try JSONFiles.makeDirectory(config.out)
        let endpoint = try ServerEndpoint(
            url: config.url, apiKey: apiKey,
            connections: config.isOpenLoop ? max(config.concurrency, 512) : config.concurrency)
        do {
            let summary = try await run(config, slo: slo, prompts: prompts, endpoint: endpoint, quiet: quiet)
            await endpoint.shutdown()
            return summary
        } catch {
            await endpoint.shutdown()
            throw error
        }
    }

    static func run(
        _ config: LoadConfiguration, slo: SLOExpression?, prompts: PromptSource, endpoint: ServerEndpoint,
        quiet: Bool
    ) async throws -> LoadSummary {
        let startedAt = ISO8601DateFormatter().string(from: Date())
        let model = try await servedModel(endpoint)
        var notes: [String] = []
        var serverMetrics = true
        do {
            _ = try await endpoint.metricsText()
        } catch {
            serverMetrics = false
            notes.append("\(error); no memory figures and no check of the counts against the server")
        }
        let dir = URL(fileURLWithPath: config.out)
        let requestsFile = try JSONLinesWriter(path: dir.appendingPathComponent("requests.jsonl").path)
        let samplesFile = try JSONLinesWriter(path: dir.appendingPathComponent("samples.jsonl").path)
        let runStart = MonotonicClock.now()
        let progress = ProgressDisplay(quiet: quiet)
        let runner = PhaseRunner(
            endpoint: endpoint, config: config, prompts: prompts, runStart: runStart,
            requestsFile: requestsFile, progress: progress, serverMetrics: serverMetrics)
        let sampler = ResourceSampler(
            endpoint: endpoint, interval: config.sampleIntervalS, runStart: runStart,
            writer: serverMetrics || NvidiaSMI.path != nil ? samplesFile : nil)
        if serverMetrics || NvidiaSMI.path != nil { sampler.start() }

        var problems: [String] = []
        var warmup: PhaseRunner.Result?
        if config.warmup > 0 {
            warmup = await runner.closed(
                "warmup", concurrency: config.concurrency, requests: config.warmup, durationS: nil)
        }
        var baseline: PhaseRunner.Result?
        if config.baseline {
            baseline = await runner.closed(
                "baseline", concurrency: 1, requests: config.baselineRequests, durationS: nil)
        }
        let load: PhaseRunner.Result
        if let rate = config.rate {
            let count = config.durationS == nil ? (config.requests ?? LoadConfiguration.defaultRequests) : nil
            load = await runner.open(
                "load",
                schedule: ArrivalSchedule(
                    rate: rate, kind: config.arrival, seed: config.seed, count: count, duration: config.durationS))
        } else {
            let requests = config.durationS == nil ? (config.requests ?? LoadConfiguration.defaultRequests) : nil
            load = await runner.closed(
                "load", concurrency: config.concurrency, requests: requests,
                durationS: config.durationS)
        }
        let readings = serverMetrics || NvidiaSMI.path != nil ? await sampler.stop() : []
        for result in [warmup, baseline, load].compactMap({ $0 }) { if let p = result.problem { problems.append(p) } }

        var efficiency: Double?
        if let baseline, !config.isOpenLoop, baseline.summary.tokensPerS > 0 {
            efficiency = load.summary.tokensPerS / (Double(config.concurrency) * baseline.summary.tokensPerS)
        }
        let checks = slo?.evaluate(
            SLOInputs(
                latency: load.latency, efficiency: efficiency, requests: load.summary.requests,
                failed: load.summary.failed, tokensPerS: load.summary.tokensPerS,
                requestsPerS: load.summary.requestsPerS))

        notes += problems
        for phase in [warmup, baseline, load].compactMap({ $0?.summary }) {
            if let check = phase.serverCounts, check.agrees == false {
                notes.append(
                    "\(phase.name): the server's counters disagree with the client's counts "
                        + "(server \(check.server.requestsByStatus) requests, \(check.server.tokensGenerated) tokens; "
                        + "client \(check.clientRequestsByStatus), \(check.clientTokens))")
            }
        }
        if let g = load.summary.generator, g.fellBehind {
            notes.append(
                "the generator fell behind its schedule: \(g.late) of \(load.summary.requests) requests "
                    + "went out more than \(Format.fixed(g.lateThresholdMs, 0)) ms late "
                    + "(max \(Format.fixed(g.maxMs)) ms); "
                    + "latencies still count from the scheduled times")
        }
        let empty = load.outcomes.filter { $0.ok && ($0.completionTokens ?? 0) == 0 }.count
        if empty * 10 > load.outcomes.count {
            notes.append(
                "\(empty) of \(load.outcomes.count) requests ended before any token (the model stopped at once): "
                    + "try other prompts (--prompts) or a temperature above 0")
        }
        if load.summary.clientCPU.cores > 0.5 {
            notes.append(
                "the bench itself used \(Format.percent(load.summary.clientCPU.cores, 0)) of a core; "
                    + "on a machine it shares with the server, that is taken from the server")
        }
        let verdict: String
        if load.summary.succeeded == 0 {
            verdict = "run_failed"
            let first = load.outcomes.first { !$0.ok }
            notes.append(
                "no request of the measured phase succeeded"
                    + (first.map { ": \($0.error ?? "") \($0.message ?? "")" } ?? ""))
        } else if let checks, checks.contains(where: { !$0.passed }) {
            verdict = "slo_failed"
        } else {
            verdict = "pass"
        }
        let summary = LoadSummary(
            startedAt: startedAt, configuration: config, model: model, warmup: warmup?.summary,
            baseline: baseline?.summary, load: load.summary, scalingEfficiency: efficiency,
            resources: ResourceSummary(readings), slo: checks, verdict: verdict, notes: notes)
        try JSONFiles.write(summary, to: dir.appendingPathComponent("summary.json").path)
        try LoadReport.write(
            summary: summary, outcomes: (warmup?.outcomes ?? []) + (baseline?.outcomes ?? []) + load.outcomes,
            readings: readings, to: config.out)
        return summary
    }

    /// The model id from /v1/models; fails clearly when the server cannot be reached or refuses the key.
    static func servedModel(_ endpoint: ServerEndpoint) async throws -> String? {
        let r: (status: Int, body: [UInt8])
        do {
            r = try await endpoint.get("/v1/models")
        } catch {
            throw BenchFailure("cannot reach vkserved at \(endpoint.base): \(ServerEndpoint.describe(error))")
        }
        switch r.status {
        case 200:
            let object = try? JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any]
            return ((object?["data"] as? [[String: Any]])?.first?["id"]) as? String
        case 401:
            throw BenchFailure("\(endpoint.base) refused the API key (401): give it with --api-key or VKSERVE_API_KEY")
        default:
            throw BenchFailure("\(endpoint.base)/v1/models answered \(r.status); is this a vkserved?")
        }
    }
}
