/// Everything `vkserve bench load` was asked to do (the API key is kept out: summary.json must not hold it).
public struct LoadConfiguration: Codable, Sendable {
    public enum Arrival: String, Codable, Sendable, CaseIterable {
        /// Exponential gaps between arrivals: independent users.
        case poisson
        /// Evenly spaced arrivals.
        case uniform
    }

    public var url: String
    public var endpoint: CompletionEndpoint = .completions
    public var model: String?
    /// Closed loop: clients, each sending its next request when the previous ends. Open loop: unused for
    /// pacing; the connection pool is sized from it.
    public var concurrency = 12
    /// Requests of the measured phase; nil with a duration.
    public var requests: Int?
    public var durationS: Double?
    public var maxTokens = 256
    public var promptTokens: Int?
    public var promptsFile: String?
    /// Open loop: requests per second.
    public var rate: Double?
    public var arrival: Arrival = .poisson
    public var warmup = 0
    public var seed: UInt64 = 1
    public var baseline = false
    public var baselineRequests = 5
    public var slo: String?
    public var out: String
    public var temperature = 1.0
    /// Ask the server to generate through end-of-sequence (`ignore_eos`), so every request yields max_tokens
    /// tokens; optional so summaries written before it existed still read.
    public var ignoreEos: Bool?
    public var timeoutS = 300.0
    public var sampleIntervalS = 2.0
    public var apiKeyGiven = false

    public var isOpenLoop: Bool { rate != nil }

    enum CodingKeys: String, CodingKey {
        case url, endpoint, model, concurrency, requests, rate, arrival, warmup, seed, baseline, slo, out, temperature
        case durationS = "duration_s"
        case maxTokens = "max_tokens"
        case promptTokens = "prompt_tokens"
        case promptsFile = "prompts_file"
        case baselineRequests = "baseline_requests"
        case timeoutS = "timeout_s"
        case ignoreEos = "ignore_eos"
        case sampleIntervalS = "sample_interval_s"
        case apiKeyGiven = "api_key_given"
    }

    public init(url: String, out: String) {
        self.url = url
        self.out = out
    }

    /// The checks that need no server; each failure reads as an operator would want it.
    public func validate() throws(BenchFailure) {
        guard concurrency >= 1, concurrency <= 4096 else { throw BenchFailure("--concurrency must be 1...4096") }
        if let requests, requests < 1 { throw BenchFailure("--requests must be at least 1") }
        if let durationS, !(durationS > 0) { throw BenchFailure("--duration must be longer than 0") }
        if requests != nil && durationS != nil { throw BenchFailure("give --requests or --duration, not both") }
        guard maxTokens >= 1 else { throw BenchFailure("--max-tokens must be at least 1") }
        if let promptTokens, promptTokens < 1 { throw BenchFailure("--prompt-tokens must be at least 1") }
        if promptTokens != nil && promptsFile != nil {
            throw BenchFailure("give --prompt-tokens or --prompts, not both")
        }
        if let rate, !(rate > 0 && rate.isFinite) {
            throw BenchFailure("--rate must be a positive number of requests/s")
        }
        guard warmup >= 0 else { throw BenchFailure("--warmup must be 0 or more") }
        guard baselineRequests >= 1 else { throw BenchFailure("--baseline-requests must be at least 1") }
        guard temperature >= 0 && temperature <= 2 else { throw BenchFailure("--temperature must be 0...2") }
        guard timeoutS > 0 else { throw BenchFailure("--timeout must be longer than 0") }
        guard sampleIntervalS >= 0.1 else { throw BenchFailure("--sample-interval must be at least 100ms") }
        if let slo {
            let expression = try SLOExpression.parse(slo)
            if expression.needsEfficiency && !baseline {
                throw BenchFailure("the SLO names efficiency, which needs --baseline")
            }
            if expression.needsEfficiency && isOpenLoop {
                throw BenchFailure("the SLO names efficiency, which an open-loop run (--rate) does not measure")
            }
        }
    }

    /// Requests of the measured phase when neither --requests nor --duration was given.
    public static let defaultRequests = 10_000
}
