/// One request of a load or soak run as `requests.jsonl` records it. Times are seconds from the start of the
/// run; latencies are milliseconds. In an open-loop run latencies count from the request's scheduled time.
public struct RequestOutcome: Codable, Sendable {
    /// `warmup`, `baseline`, `load` or `soak`.
    public var phase: String
    public var index: Int
    /// The closed-loop client that sent it (0 in open loop and soak bursts).
    public var client: Int
    /// When the open-loop schedule wanted it sent.
    public var scheduledS: Double?
    /// When it was sent, and when its last byte (or its failure) arrived.
    public var startS: Double
    public var endS: Double
    /// How late the generator sent it after its scheduled time (open loop).
    public var lagMs: Double?
    public var ttftMs: Double?
    public var e2eMs: Double?
    /// (E2E − TTFT) / (tokens − 1), with tokens from the server's usage.
    public var tpotMs: Double?
    /// Gaps between consecutive chunks that carried text.
    public var itlMs: [Double]
    /// Mean and largest gap, where the gaps themselves are not kept (soak).
    public var itlMeanMs: Double?
    public var itlMaxMs: Double?
    /// Chunks that carried text: token arrivals as the client saw them.
    public var chunks: Int
    public var completionTokens: Int?
    public var promptTokens: Int?
    public var finishReason: String?
    /// nil when the request succeeded; else `http_<status>`, `error_event`, `connection`, `timeout` or
    /// `bad_stream`.
    public var error: String?
    public var httpStatus: Int?
    public var message: String?
    /// How often the request went again on another connection because its pooled one had been
    /// closed by the server while idle (nothing had reached the server); nil when it did not.
    public var retries: Int?

    public var ok: Bool { error == nil }

    enum CodingKeys: String, CodingKey {
        case phase, index, client, chunks, error, message
        case scheduledS = "scheduled_s"
        case startS = "start_s"
        case endS = "end_s"
        case lagMs = "lag_ms"
        case ttftMs = "ttft_ms"
        case e2eMs = "e2e_ms"
        case tpotMs = "tpot_ms"
        case itlMs = "itl_ms"
        case itlMeanMs = "itl_mean_ms"
        case itlMaxMs = "itl_max_ms"
        case completionTokens = "completion_tokens"
        case promptTokens = "prompt_tokens"
        case finishReason = "finish_reason"
        case httpStatus = "http_status"
        case retries
    }

    public init(phase: String, index: Int, client: Int, startS: Double) {
        self.phase = phase
        self.index = index
        self.client = client
        self.startS = startS
        endS = startS
        itlMs = []
        chunks = 0
    }
}
