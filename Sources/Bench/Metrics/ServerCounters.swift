/// The counters of vkserved's /metrics that the bench compares its own counts with.
public struct ServerCounters: Codable, Sendable, Equatable {
    /// Generation requests answered (`vkserve_http_requests_total` on the completion routes), by status code.
    public var requestsByStatus: [String: Int]
    public var tokensGenerated: Int
    public var promptTokens: Int
    public var queueRejected: Int
    public var retries: Int
    /// `vkserve_worker_exits_total` by reason.
    public var workerExits: [String: Int]
    /// Whether the server exports vkserved's counters at all: another server (llama-server, say)
    /// has none, and its counts are "not available", not zero.
    public var available: Bool

    enum CodingKeys: String, CodingKey {
        case requestsByStatus = "requests_by_status"
        case tokensGenerated = "tokens_generated"
        case promptTokens = "prompt_tokens"
        case queueRejected = "queue_rejected"
        case retries
        case workerExits = "worker_exits"
        case available
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        requestsByStatus = try c.decode([String: Int].self, forKey: .requestsByStatus)
        tokensGenerated = try c.decode(Int.self, forKey: .tokensGenerated)
        promptTokens = try c.decode(Int.self, forKey: .promptTokens)
        queueRejected = try c.decode(Int.self, forKey: .queueRejected)
        retries = try c.decode(Int.self, forKey: .retries)
        workerExits = try c.decode([String: Int].self, forKey: .workerExits)
        available = try c.decodeIfPresent(Bool.self, forKey: .available) ?? true
    }

    static let generationEndpoints = ["/v1/completions", "/v1/chat/completions"]

    public init(_ metrics: PrometheusText) {
        var byStatus: [String: Int] = [:]
        for endpoint in Self.generationEndpoints {
            for (status, v) in metrics.byLabel(
                "vkserve_http_requests_total", "status", matching: ["endpoint": endpoint])
            {
                byStatus[status, default: 0] += Int(v)
            }
        }
        requestsByStatus = byStatus
        tokensGenerated = Int(metrics.sum("vkserve_tokens_generated_total") ?? 0)
        promptTokens = Int(metrics.sum("vkserve_prompt_tokens_total") ?? 0)
        queueRejected = Int(metrics.sum("vkserve_queue_rejected_total") ?? 0)
        retries = Int(metrics.sum("vkserve_request_retries_total") ?? 0)
        workerExits = metrics.byLabel("vkserve_worker_exits_total", "reason").mapValues { Int($0) }
        available = metrics.sum("vkserve_http_requests_total") != nil || metrics.sum("vkserve_tokens_generated_total") != nil
    }

    public init() {
        requestsByStatus = [:]
        tokensGenerated = 0
        promptTokens = 0
        queueRejected = 0
        retries = 0
        workerExits = [:]
        available = true
    }

    /// What happened between `earlier` and `self` (zero-valued entries dropped).
    public func since(_ earlier: ServerCounters) -> ServerCounters {
        func delta(_ a: [String: Int], _ b: [String: Int]) -> [String: Int] {
            var d: [String: Int] = [:]
            for key in Set(a.keys).union(b.keys) {
                let v = (a[key] ?? 0) - (b[key] ?? 0)
                if v != 0 { d[key] = v }
            }
            return d
        }
        var d = ServerCounters()
        d.requestsByStatus = delta(requestsByStatus, earlier.requestsByStatus)
        d.tokensGenerated = tokensGenerated - earlier.tokensGenerated
        d.promptTokens = promptTokens - earlier.promptTokens
        d.queueRejected = queueRejected - earlier.queueRejected
        d.retries = retries - earlier.retries
        d.workerExits = delta(workerExits, earlier.workerExits)
        d.available = available && earlier.available
        return d
    }

    public var requests: Int { requestsByStatus.values.reduce(0, +) }
}
