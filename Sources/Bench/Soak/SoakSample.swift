/// One line of a soak's samples.jsonl: the server's memory at that moment, and the requests that ended in the
/// window since the previous sample. Appended and synced as taken, so a bench killed at any point loses nothing.
public struct SoakSample: Codable, Sendable {
    /// Seconds since the start of the soak (real, not scaled).
    public var tS: Double
    public var windowS: Double
    /// Protocol time: tS × time scale.
    public var protocolS: Double
    /// What the protocol was doing when the sample was taken: `burst`, `idle` or `done`.
    public var activity: String
    /// The window ended within the warm-up.
    public var warmup: Bool
    /// A restart overlapped the window.
    public var restartWindow: Bool
    public var requests: Int
    public var failed: Int
    public var errors: [String: Int]
    public var tokens: Int
    public var tokensPerS: Double
    public var itlMeanMs: Double?
    public var itlP95Ms: Double?
    public var ttftMeanMs: Double?
    public var e2eMeanMs: Double?
    public var resources: ResourceReading
    /// `vkserve_worker_exits_total` by reason, as the server counts them (cumulative).
    public var workerExits: [String: Int]?
    public var workerPIDs: [String: Int32]?
    public var supervisorPID: Int32?
    /// Restarts that finished in this window.
    public var restarts: [RestartRecord]

    public init(
        tS: Double, windowS: Double, protocolS: Double, activity: String, warmup: Bool, restartWindow: Bool,
        requests: Int, failed: Int, errors: [String: Int], tokens: Int, tokensPerS: Double, itlMeanMs: Double?,
        itlP95Ms: Double?, ttftMeanMs: Double?, e2eMeanMs: Double?, resources: ResourceReading,
        workerExits: [String: Int]?, workerPIDs: [String: Int32]?, supervisorPID: Int32?,
        restarts: [RestartRecord]
    ) {
        self.tS = tS
        self.windowS = windowS
        self.protocolS = protocolS
        self.activity = activity
        self.warmup = warmup
        self.restartWindow = restartWindow
        self.requests = requests
        self.failed = failed
        self.errors = errors
        self.tokens = tokens
        self.tokensPerS = tokensPerS
        self.itlMeanMs = itlMeanMs
        self.itlP95Ms = itlP95Ms
        self.ttftMeanMs = ttftMeanMs
        self.e2eMeanMs = e2eMeanMs
        self.resources = resources
        self.workerExits = workerExits
        self.workerPIDs = workerPIDs
        self.supervisorPID = supervisorPID
        self.restarts = restarts
    }

    enum CodingKeys: String, CodingKey {
        case activity, warmup, requests, failed, errors, tokens, resources, restarts
        case tS = "t_s"
        case windowS = "window_s"
        case protocolS = "protocol_s"
        case restartWindow = "restart_window"
        case tokensPerS = "tokens_per_s"
        case itlMeanMs = "itl_mean_ms"
        case itlP95Ms = "itl_p95_ms"
        case ttftMeanMs = "ttft_mean_ms"
        case e2eMeanMs = "e2e_mean_ms"
        case workerExits = "worker_exits"
        case workerPIDs = "worker_pids"
        case supervisorPID = "supervisor_pid"
    }
}

/// One restart of the workers through the control socket.
public struct RestartRecord: Codable, Sendable, Equatable {
    public var number: Int
    /// Seconds since the start of the soak when it was asked for and when every worker ran again.
    public var startS: Double
    public var endS: Double
    public var ok: Bool
    public var message: String
    /// Worker pids before and after: every one must change.
    public var pidsBefore: [String: Int32]
    public var pidsAfter: [String: Int32]
    /// Requests that failed while it went on.
    public var failedRequests: Int
    /// Worker exits the server counted meanwhile, by reason (a clean restart shows only `stopped`).
    public var exits: [String: Int]

    public init(
        number: Int, startS: Double, endS: Double, ok: Bool, message: String, pidsBefore: [String: Int32],
        pidsAfter: [String: Int32], failedRequests: Int, exits: [String: Int]
    ) {
        self.number = number
        self.startS = startS
        self.endS = endS
        self.ok = ok
        self.message = message
        self.pidsBefore = pidsBefore
        self.pidsAfter = pidsAfter
        self.failedRequests = failedRequests
        self.exits = exits
    }

    enum CodingKeys: String, CodingKey {
        case number, ok, message, exits
        case startS = "start_s"
        case endS = "end_s"
        case pidsBefore = "pids_before"
        case pidsAfter = "pids_after"
        case failedRequests = "failed_requests"
    }
}
