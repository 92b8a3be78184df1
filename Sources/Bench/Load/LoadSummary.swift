import Foundation

/// summary.json of `vkserve bench load`.
public struct LoadSummary: Codable, Sendable {
    public var kind = "load"
    public var formatVersion = 1
    /// ISO 8601, UTC.
    public var startedAt: String
    public var configuration: LoadConfiguration
    /// The served model, from /v1/models.
    public var model: String?
    public var warmup: PhaseSummary?
    public var baseline: PhaseSummary?
    public var load: PhaseSummary
    /// Aggregate tokens/s ÷ (concurrency × single-client tokens/s).
    public var scalingEfficiency: Double?
    public var resources: ResourceSummary
    public var slo: [SLOCheck]?
    /// `pass`, `slo_failed` or `run_failed`.
    public var verdict: String
    /// Things a reader of the figures must know: a generator that fell behind, counts that disagree.
    public var notes: [String]

    enum CodingKeys: String, CodingKey {
        case kind, configuration, model, warmup, baseline, load, resources, slo, verdict, notes
        case formatVersion = "format_version"
        case startedAt = "started_at"
        case scalingEfficiency = "scaling_efficiency"
    }

    public var exitCode: BenchVerdict {
        switch verdict {
        case "pass": .pass
        case "slo_failed": .failed
        default: .runFailed
        }
    }
}

/// The first, last, lowest and highest of a sampled series.
public struct SeriesRange: Codable, Sendable, Equatable {
    public var first: Double
    public var last: Double
    public var min: Double
    public var max: Double

    init?(_ values: [Double]) {
        guard let first = values.first, let last = values.last else { return nil }
        self.first = first
        self.last = last
        min = values.min()!
        max = values.max()!
    }
}

/// Memory and device figures over a run, from the samples.
public struct ResourceSummary: Codable, Sendable {
    public var samples: Int
    /// Samples whose /metrics scrape failed.
    public var unreadable: Int
    /// Sum over workers; nil on CPU workers, which report no VRAM.
    public var vramUsedBytes: SeriesRange?
    public var vramBudgetBytes: Double?
    public var workerRSSBytes: SeriesRange?
    public var supervisorRSSBytes: SeriesRange?
    public var gpuMemoryUsedBytes: SeriesRange?
    public var gpuTemperatureC: SeriesRange?
    public var gpuUtilizationPercent: SeriesRange?

    enum CodingKeys: String, CodingKey {
        case samples, unreadable
        case vramUsedBytes = "vram_used_bytes"
        case vramBudgetBytes = "vram_budget_bytes"
        case workerRSSBytes = "worker_rss_bytes"
        case supervisorRSSBytes = "supervisor_rss_bytes"
        case gpuMemoryUsedBytes = "gpu_memory_used_bytes"
        case gpuTemperatureC = "gpu_temperature_c"
        case gpuUtilizationPercent = "gpu_utilization_percent"
    }

    public init(_ readings: [ResourceReading]) {
        samples = readings.count
        unreadable = readings.filter { $0.error != nil }.count
        vramUsedBytes = SeriesRange(readings.compactMap(\.vramUsedBytes))
        vramBudgetBytes = readings.compactMap(\.vramBudgetBytes).last
        workerRSSBytes = SeriesRange(readings.compactMap(\.workerRSSBytes))
        supervisorRSSBytes = SeriesRange(readings.compactMap(\.supervisorRSSBytes))
        gpuMemoryUsedBytes = SeriesRange(readings.compactMap(\.gpuMemoryUsedBytes))
        gpuTemperatureC = SeriesRange(readings.compactMap(\.gpuTemperatureC))
        gpuUtilizationPercent = SeriesRange(
            readings.compactMap { r in
                let v = r.gpus.compactMap(\.utilizationPercent)
                return v.isEmpty ? nil : v.reduce(0, +) / Double(v.count)
            })
    }
}

extension LoadSummary {
    /// The console summary printed at the end of a run.
    public var text: String {
        var out: [String] = []
        let c = configuration
        let shape =
            c.isOpenLoop
            ? "open loop, \(Format.fixed(c.rate ?? 0, 2)) req/s (\(c.arrival.rawValue))"
            : "\(c.concurrency) concurrent clients"
        out.append(
            "\(model ?? "model ?") at \(c.url): \(load.requests) requests × up to \(c.maxTokens) tokens, \(shape), "
                + "\(Format.seconds(load.durationS))")
        var rows = [["latency (ms)", "mean", "median", "stddev", "P50", "P95", "P99", "max", "count"]]
        for series in LatencySeries.allCases {
            let s = load.latency[series]
            rows.append([
                series.title, Format.fixed(s.mean), Format.fixed(s.median), Format.fixed(s.stddev),
                Format.fixed(s.p50), Format.fixed(s.p95), Format.fixed(s.p99), Format.fixed(s.max), "\(s.count)",
            ])
        }
        out.append(Format.table(rows))
        var throughput =
            "aggregate: \(Format.fixed(load.tokensPerS)) output tok/s, \(Format.fixed(load.requestsPerS, 2)) req/s"
        if let baseline, let scalingEfficiency {
            throughput +=
                "; 1 client: \(Format.fixed(baseline.tokensPerS)) tok/s; scaling efficiency "
                + "\(Format.percent(scalingEfficiency)) (aggregate ÷ (\(c.concurrency) × single))"
        }
        out.append(throughput)
        out.append(
            "requests: \(load.succeeded) ok, \(load.failed) failed"
                + (load.errors.isEmpty
                    ? ""
                    : " ("
                        + load.errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
                        .joined(separator: ", ") + ")")
                + ((load.retried ?? 0) > 0
                    ? "; \(load.retried!) sent again on a new connection (the server had closed the idle one)" : ""))
        if let g = load.generator {
            out.append(
                "generator: \(g.late) requests sent over \(Format.fixed(g.lateThresholdMs, 0)) ms late, "
                    + "p99 lag \(Format.fixed(g.p99Ms)) ms, max \(Format.fixed(g.maxMs)) ms"
                    + (g.fellBehind ? " — FELL BEHIND its schedule" : ""))
        }
        if let check = load.serverCounts, !check.server.available {
            out.append("server counters: not available (the server exports no vkserved counters at /metrics)")
        } else if let check = load.serverCounts {
            out.append(
                "server counters: \(check.server.requests) requests, \(check.server.tokensGenerated) tokens "
                    + "(client: \(check.clientRequestsByStatus.values.reduce(0, +)), \(check.clientTokens)): "
                    + (check.requestsAgree && check.tokensAgree ? "agree" : "DISAGREE"))
        }
        var memory: [String] = []
        if let v = resources.vramUsedBytes {
            memory.append("VRAM \(Format.bytes(v.first)) → \(Format.bytes(v.last)) (max \(Format.bytes(v.max)))")
        }
        if let r = resources.workerRSSBytes {
            memory.append("worker RSS \(Format.bytes(r.first)) → \(Format.bytes(r.last)) (max \(Format.bytes(r.max)))")
        }
        if let t = resources.gpuTemperatureC { memory.append("GPU max \(Format.fixed(t.max, 0)) °C") }
        if !memory.isEmpty { out.append(memory.joined(separator: "; ")) }
        out.append(
            "client CPU: \(Format.fixed(load.clientCPU.userSeconds + load.clientCPU.systemSeconds)) s "
                + "(\(Format.percent(load.clientCPU.cores, 0)) of one core)")
        if let slo {
            for check in slo {
                let measured = check.measured.map { Format.fixed($0, 3) } ?? "not measured"
                let unit = check.unit.isEmpty ? "" : " " + check.unit
                out.append(
                    "SLO \(check.passed ? "pass" : "FAIL"): \(check.clause) (measured \(measured)\(unit))"
                        + (check.note.map { ": \($0)" } ?? ""))
            }
        }
        for note in notes { out.append("note: \(note)") }
        out.append("verdict: \(verdict)")
        return out.joined(separator: "\n")
    }
}
