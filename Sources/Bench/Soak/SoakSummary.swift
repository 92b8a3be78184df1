/// summary.json of `vkserve bench soak`.
public struct SoakSummary: Codable, Sendable {
    public var kind = "soak"
    public var formatVersion = 1
    public var startedAt: String
    public var configuration: SoakConfiguration
    public var model: String?
    /// Real seconds the soak ran, and the protocol time that stands for (× time scale).
    public var durationS: Double
    public var protocolDurationS: Double
    /// False when judged from the samples of a soak that did not reach its end (`bench report` on a killed run).
    public var complete: Bool
    public var requests: Int
    public var failed: Int
    public var errors: [String: Int]
    public var outputTokens: Int
    public var bursts: Int
    /// Bursts that started more than half a period late because the one before ran long.
    public var lateBursts: Int
    public var latency: LatencySummaries?
    /// The whole soak's latency distributions, as HdrHistogram buckets (milliseconds, count).
    public var histograms: [String: [WeightedValue]]?
    public var restarts: [RestartRecord]
    public var plannedRestarts: Int
    public var vram: Drift?
    public var workerRSS: Drift?
    public var supervisorRSS: Drift?
    public var latencyVariation: LatencyVariation?
    /// Worker exits the server counted over the soak, by reason.
    public var workerExits: [String: Int]
    public var checks: [SoakCheck]
    /// `pass` or `failed`.
    public var verdict: String
    public var notes: [String]

    enum CodingKeys: String, CodingKey {
        case kind, configuration, model, complete, requests, failed, errors, bursts, latency, histograms, restarts
        case vram, checks, verdict, notes
        case formatVersion = "format_version"
        case startedAt = "started_at"
        case durationS = "duration_s"
        case protocolDurationS = "protocol_duration_s"
        case outputTokens = "output_tokens"
        case lateBursts = "late_bursts"
        case plannedRestarts = "planned_restarts"
        case workerRSS = "worker_rss"
        case supervisorRSS = "supervisor_rss"
        case latencyVariation = "latency_variation"
        case workerExits = "worker_exits"
    }

    public var exitCode: BenchVerdict { verdict == "pass" ? .pass : .failed }
}

/// A memory series judged by its first and last values and by a least-squares slope with its 95 % interval.
public struct Drift: Codable, Sendable, Equatable {
    public var samples: Int
    public var first: Double
    public var last: Double
    public var max: Double
    /// Bytes per protocol hour, with the 95 % confidence interval.
    public var slopePerHour: Double
    public var slopeLowPerHour: Double
    public var slopeHighPerHour: Double
    /// The slope over the whole protocol duration: the growth the trend predicts.
    public var projectedGrowth: Double
    /// The interval excludes zero.
    public var significant: Bool

    enum CodingKeys: String, CodingKey {
        case samples, first, last, max, significant
        case slopePerHour = "slope_per_hour"
        case slopeLowPerHour = "slope_low_per_hour"
        case slopeHighPerHour = "slope_high_per_hour"
        case projectedGrowth = "projected_growth"
    }

    public var delta: Double { last - first }
}

/// How much the windowed mean inter-token latency varied, over the windows that count.
public struct LatencyVariation: Codable, Sendable, Equatable {
    public var windows: Int
    public var excludedWarmup: Int
    public var excludedRestart: Int
    public var meanMs: Double
    public var stddevMs: Double
    /// stddev ÷ mean.
    public var coefficient: Double

    enum CodingKeys: String, CodingKey {
        case windows, coefficient
        case excludedWarmup = "excluded_warmup"
        case excludedRestart = "excluded_restart"
        case meanMs = "mean_ms"
        case stddevMs = "stddev_ms"
    }
}

/// One row of the pass/fail table.
public struct SoakCheck: Codable, Sendable, Equatable {
    public var name: String
    /// `pass`, `fail` or `n/a`.
    public var status: String
    public var measured: String
    public var limit: String
    public var detail: String?
}

extension SoakSummary {
    public var text: String {
        var out: [String] = []
        let c = configuration
        out.append(
            "\(model ?? "model ?") at \(c.url): soak of \(Format.seconds(protocolDurationS)) protocol time "
                + "in \(Format.seconds(durationS))"
                + (c.timeScale > 1 ? " (time scale \(Format.fixed(c.timeScale, 0)))" : "")
                + (complete ? "" : " — INCOMPLETE: judged from the samples written before the bench stopped"))
        out.append(
            "\(requests) requests in \(bursts) bursts (\(lateBursts) late), \(failed) failed, "
                + "\(restarts.count) of \(plannedRestarts) restarts, \(outputTokens) output tokens")
        let rows =
            [["check", "result", "measured", "limit"]]
            + checks.map {
                [$0.name, $0.status == "pass" ? "pass" : $0.status == "fail" ? "FAIL" : "n/a", $0.measured, $0.limit]
            }
        out.append(Format.table(rows, allLeft: true))
        for r in restarts {
            out.append(
                "restart \(r.number) at \(Format.seconds(r.startS)): \(r.ok ? "clean" : "NOT CLEAN") in "
                    + "\(Format.fixed(r.endS - r.startS, 1)) s, \(r.failedRequests) failed requests, exits "
                    + (r.exits.isEmpty
                        ? "none counted"
                        : r.exits.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
                            .joined(separator: ", ")))
        }
        for n in notes { out.append("note: \(n)") }
        out.append("verdict: \(verdict)")
        return out.joined(separator: "\n")
    }
}
