/// Everything `vkserve bench soak` was asked to do, with protocol durations as given (before --time-scale).
public struct SoakConfiguration: Codable, Sendable {
    public var url: String
    public var out: String
    public var controlSocket = "/run/vkserve/control.sock"
    public var durationS = 48 * 3600.0
    /// Requests per burst, drawn uniformly from this range.
    public var burstMin = 50
    public var burstMax = 100
    /// A burst starts this often while active (the next one waits for the previous to finish).
    public var everyS = 30.0
    /// Bursts go on this long before an idle period.
    public var activeS = 30 * 60.0
    /// Idle periods, drawn uniformly from this range.
    public var idleMinS = 5 * 60.0
    public var idleMaxS = 10 * 60.0
    /// Restarts of every worker through the control socket; 0 = none.
    public var restartEveryS = 12 * 3600.0
    /// One sample (and one latency window) this often.
    public var sampleS = 5 * 60.0
    /// Windows that end within this time of the start are warm-up, left out of the variance.
    public var warmupS = 10 * 60.0
    /// Every protocol duration above is divided by this.
    public var timeScale = 1.0
    public var maxTokens = 256
    /// Most requests of a burst in flight at once.
    public var concurrency = 12
    public var endpoint: CompletionEndpoint = .completions
    public var model: String?
    public var temperature = 1.0
    public var seed: UInt64 = 1
    public var promptTokens: Int?
    public var promptsFile: String?
    /// Real seconds, not scaled: a request or a restart takes the time it takes.
    public var timeoutS = 300.0
    public var restartTimeoutS = 300.0
    /// Judgement limits.
    public var maxMemoryGrowthBytes = 100e6
    public var maxLatencyVariation = 0.05
    /// Requests a latency window must hold before its mean is compared (sample windows are pooled until it
    /// does); nil: `defaultMinWindowRequests`. Optional so summaries written before it existed still read.
    public var minWindowRequests: Int?
    public static let defaultMinWindowRequests = 30
    public var apiKeyGiven = false

    enum CodingKeys: String, CodingKey {
        case url, out, endpoint, model, temperature, seed, concurrency
        case controlSocket = "control_socket"
        case durationS = "duration_s"
        case burstMin = "burst_min"
        case burstMax = "burst_max"
        case everyS = "every_s"
        case activeS = "active_s"
        case idleMinS = "idle_min_s"
        case idleMaxS = "idle_max_s"
        case restartEveryS = "restart_every_s"
        case sampleS = "sample_s"
        case warmupS = "warmup_s"
        case timeScale = "time_scale"
        case maxTokens = "max_tokens"
        case promptTokens = "prompt_tokens"
        case promptsFile = "prompts_file"
        case timeoutS = "timeout_s"
        case restartTimeoutS = "restart_timeout_s"
        case maxMemoryGrowthBytes = "max_memory_growth_bytes"
        case maxLatencyVariation = "max_latency_variation"
        case minWindowRequests = "min_window_requests"
        case apiKeyGiven = "api_key_given"
    }

    public init(url: String, out: String) {
        self.url = url
        self.out = out
    }

    /// A protocol duration after --time-scale.
    public func scaled(_ seconds: Double) -> Double { seconds / timeScale }

    public func validate() throws(BenchFailure) {
        guard timeScale >= 1, timeScale.isFinite else { throw BenchFailure("--time-scale must be 1 or more") }
        guard durationS > 0 else { throw BenchFailure("--duration must be longer than 0") }
        guard burstMin >= 1, burstMax >= burstMin else {
            throw BenchFailure("--burst must be N or MIN..MAX with 1 <= MIN <= MAX")
        }
        guard everyS > 0, activeS > 0 else { throw BenchFailure("--every and --active must be longer than 0") }
        guard idleMinS >= 0, idleMaxS >= idleMinS else {
            throw BenchFailure("--idle must be D or MIN..MAX with MIN <= MAX")
        }
        guard restartEveryS >= 0 else { throw BenchFailure("--restart-every must be 0 (none) or a duration") }
        guard scaled(sampleS) >= 0.05 else { throw BenchFailure("--sample ÷ --time-scale must be at least 50ms") }
        guard maxTokens >= 1 else { throw BenchFailure("--max-tokens must be at least 1") }
        guard concurrency >= 1 else { throw BenchFailure("--concurrency must be at least 1") }
        guard temperature >= 0 && temperature <= 2 else { throw BenchFailure("--temperature must be 0...2") }
        if promptTokens != nil && promptsFile != nil {
            throw BenchFailure("give --prompt-tokens or --prompts, not both")
        }
        if let promptTokens, promptTokens < 1 { throw BenchFailure("--prompt-tokens must be at least 1") }
    }

    /// Restarts the protocol plans within the run.
    public var plannedRestarts: Int {
        // One at every multiple of the period strictly inside the run.
        restartEveryS > 0 ? max(0, Int((durationS / restartEveryS).rounded(.up)) - 1) : 0
    }
}
