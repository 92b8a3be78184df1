/// The figures of one phase of a load run, as summary.json holds them.
public struct PhaseSummary: Codable, Sendable {
    public var name: String
    /// `closed` (fixed concurrency) or `open` (fixed rate).
    public var mode: String
    public var concurrency: Int?
    public var rate: Double?
    public var requests: Int
    public var succeeded: Int
    public var failed: Int
    public var errors: [String: Int]
    /// Requests sent again on a new connection because the server had closed their pooled one
    /// while idle (before any of the request reached it); nil in runs recorded before this count.
    public var retried: Int?
    /// From the first send to the last response.
    public var durationS: Double
    /// Output tokens of the successful requests, from the server's usage.
    public var outputTokens: Int
    public var promptTokens: Int
    /// Aggregate output tokens per second over the phase.
    public var tokensPerS: Double
    public var requestsPerS: Double
    /// Text-carrying chunks the client saw per output token (1.0 when every token streams as its own chunk).
    public var chunksPerToken: Double
    public var latency: LatencySummaries
    public var clientCPU: ClientCPU
    public var serverCounts: ServerCountCheck?
    public var generator: GeneratorLag?

    enum CodingKeys: String, CodingKey {
        case name, mode, concurrency, rate, requests, succeeded, failed, errors, latency, generator, retried
        case durationS = "duration_s"
        case outputTokens = "output_tokens"
        case promptTokens = "prompt_tokens"
        case tokensPerS = "tokens_per_s"
        case requestsPerS = "requests_per_s"
        case chunksPerToken = "chunks_per_token"
        case clientCPU = "client_cpu"
        case serverCounts = "server_counts"
    }
}

/// The client's counts beside the deltas of the server's own counters over the same phase.
public struct ServerCountCheck: Codable, Sendable {
    /// Deltas of vkserved's counters from just before the phase to just after it.
    public var server: ServerCounters
    /// Requests that got an HTTP status, by status.
    public var clientRequestsByStatus: [String: Int]
    /// Output tokens the successful requests' usage reported.
    public var clientTokens: Int
    public var requestsAgree: Bool
    public var tokensAgree: Bool
    /// Whether the counts agree; nil when the server has no vkserved counters to compare with.
    public var agrees: Bool? { server.available ? requestsAgree && tokensAgree : nil }

    enum CodingKeys: String, CodingKey {
        case server
        case clientRequestsByStatus = "client_requests_by_status"
        case clientTokens = "client_tokens"
        case requestsAgree = "requests_agree"
        case tokensAgree = "tokens_agree"
    }

    init(server: ServerCounters, outcomes: [RequestOutcome]) {
        self.server = server
        var byStatus: [String: Int] = [:]
        for o in outcomes {
            if let s = o.httpStatus { byStatus["\(s)", default: 0] += 1 }
        }
        clientRequestsByStatus = byStatus
        clientTokens = outcomes.filter(\.ok).reduce(0) { $0 + ($1.completionTokens ?? 0) }
        requestsAgree = server.requestsByStatus == byStatus
        tokensAgree = server.tokensGenerated == clientTokens
    }
}

/// How far an open-loop generator fell behind its schedule.
public struct GeneratorLag: Codable, Sendable {
    /// Requests sent more than ``lateThresholdMs`` after their scheduled time.
    public var late: Int
    public var lateThresholdMs: Double
    public var p99Ms: Double
    public var maxMs: Double
    /// More than 1 % of requests late: the figures describe the generator as much as the server.
    public var fellBehind: Bool

    enum CodingKeys: String, CodingKey {
        case late
        case lateThresholdMs = "late_threshold_ms"
        case p99Ms = "p99_ms"
        case maxMs = "max_ms"
        case fellBehind = "fell_behind"
    }

    init(_ outcomes: [RequestOutcome], threshold: Double = 10) {
        let lags = outcomes.compactMap(\.lagMs).sorted()
        late = lags.filter { $0 > threshold }.count
        lateThresholdMs = threshold
        p99Ms = lags.isEmpty ? 0 : lags[min(lags.count - 1, Int((Double(lags.count) * 0.99).rounded(.up)) - 1)]
        maxMs = lags.last ?? 0
        fellBehind = lags.count > 0 && Double(late) > 0.01 * Double(lags.count)
    }
}

extension PhaseSummary {
    init(
        name: String, mode: String, concurrency: Int?, rate: Double?, outcomes: [RequestOutcome],
        latency: LatencySet, durationS: Double, cpu: ClientCPU, serverCounts: ServerCountCheck?
    ) {
        self.name = name
        self.mode = mode
        self.concurrency = concurrency
        self.rate = rate
        requests = outcomes.count
        let ok = outcomes.filter(\.ok)
        succeeded = ok.count
        failed = outcomes.count - ok.count
        var errors: [String: Int] = [:]
        for o in outcomes { if let e = o.error { errors[e, default: 0] += 1 } }
        self.errors = errors
        retried = outcomes.filter { ($0.retries ?? 0) > 0 }.count
        self.durationS = durationS
        outputTokens = ok.reduce(0) { $0 + ($1.completionTokens ?? 0) }
        promptTokens = ok.reduce(0) { $0 + ($1.promptTokens ?? 0) }
        tokensPerS = durationS > 0 ? Double(outputTokens) / durationS : 0
        requestsPerS = durationS > 0 ? Double(ok.count) / durationS : 0
        let chunks = ok.reduce(0) { $0 + $1.chunks }
        chunksPerToken = outputTokens > 0 ? Double(chunks) / Double(outputTokens) : 0
        self.latency = latency.summaries
        clientCPU = cpu
        self.serverCounts = serverCounts
        generator = mode == "open" ? GeneratorLag(outcomes) : nil
    }
}
