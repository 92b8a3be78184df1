/// Liveness and progress of a worker, sent on a timer independent of its compute thread.
///
/// The supervisor judges liveness from heartbeats arriving and progress from `steps` and `tokens`
/// advancing while `inFlight` is non-zero.
public struct Heartbeat: Sendable, Equatable, Codable {
    /// Counts heartbeats from 0; a gap means some were lost.
    public var sequence: UInt64
    /// What the worker is doing.
    public var state: WorkerState
    /// Sequences holding a slot.
    public var inFlight: Int
    /// Requests waiting for a slot.
    public var queued: Int
    /// Generator steps completed since start.
    public var steps: UInt64
    /// Tokens generated since start.
    public var tokens: UInt64
    /// Requests ended since start.
    public var requestsDone: UInt64
    /// Memory in use.
    public var memory: MemoryFigures
    /// Seconds since the worker started.
    public var uptimeS: Double

    /// A heartbeat.
    public init(
        sequence: UInt64, state: WorkerState, inFlight: Int, queued: Int, steps: UInt64, tokens: UInt64,
        requestsDone: UInt64, memory: MemoryFigures, uptimeS: Double
    ) {
        self.sequence = sequence
        self.state = state
        self.inFlight = inFlight
        self.queued = queued
        self.steps = steps
        self.tokens = tokens
        self.requestsDone = requestsDone
        self.memory = memory
        self.uptimeS = uptimeS
    }

    enum CodingKeys: String, CodingKey {
        case sequence
        case state
        case inFlight = "in_flight"
        case queued
        case steps
        case tokens
        case requestsDone = "requests_done"
        case memory
        case uptimeS = "uptime_s"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sequence = try c.decodeNumber(UInt64.self, forKey: .sequence)
        state = try c.decode(WorkerState.self, forKey: .state)
        inFlight = try c.decodeNumber(Int.self, forKey: .inFlight)
        queued = try c.decodeNumber(Int.self, forKey: .queued)
        steps = try c.decodeNumber(UInt64.self, forKey: .steps)
        tokens = try c.decodeNumber(UInt64.self, forKey: .tokens)
        requestsDone = try c.decodeNumber(UInt64.self, forKey: .requestsDone)
        memory = try c.decode(MemoryFigures.self, forKey: .memory)
        uptimeS = try c.decodeNumber(Double.self, forKey: .uptimeS)
    }
}

/// What a worker is doing.
public enum WorkerState: String, Codable, Sendable {
    /// Loading the model or warming up.
    case loading
    /// Idle and able to generate.
    case ready
    /// Generating.
    case busy
    /// Finishing the requests in flight, taking no new ones.
    case draining
    /// Shutting down.
    case stopping
}

/// Memory figures in bytes; each is `nil` where the backend cannot tell.
public struct MemoryFigures: Sendable, Equatable, Codable {
    /// Device memory used by this process (Vulkan, `VK_EXT_memory_budget`).
    public var vramUsed: Int?
    /// Device memory this process may use (Vulkan).
    public var vramBudget: Int?
    /// Resident set size of the process.
    public var rss: Int?
    /// Memory reserved for the KV cache.
    public var kvReserved: Int?

    /// Memory figures; leave out what is unknown.
    public init(vramUsed: Int? = nil, vramBudget: Int? = nil, rss: Int? = nil, kvReserved: Int? = nil) {
        self.vramUsed = vramUsed
        self.vramBudget = vramBudget
        self.rss = rss
        self.kvReserved = kvReserved
    }

    enum CodingKeys: String, CodingKey {
        case vramUsed = "vram_used"
        case vramBudget = "vram_budget"
        case rss
        case kvReserved = "kv_reserved"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vramUsed = try c.decodeNumberIfPresent(Int.self, forKey: .vramUsed)
        vramBudget = try c.decodeNumberIfPresent(Int.self, forKey: .vramBudget)
        rss = try c.decodeNumberIfPresent(Int.self, forKey: .rss)
        kvReserved = try c.decodeNumberIfPresent(Int.self, forKey: .kvReserved)
    }
}

/// The worker's answer to `stats`: a heartbeat and totals over its life.
public struct Stats: Sendable, Equatable, Codable {
    /// The worker's current heartbeat.
    public var heartbeat: Heartbeat
    /// Prompt tokens processed since start.
    public var promptTokens: UInt64
    /// Fraction of wall time the generator was stepping, over a recent window.
    public var busyFraction: Double?
    /// Fraction of wall time the device was computing, where the backend can measure it.
    public var deviceBusyFraction: Double?
    /// Sequences generated at once.
    public var slots: Int
    /// Tokens of context per sequence.
    public var context: Int
    /// Where the compute thread's time went since the worker started.
    public var profile: StepTimes?

    /// Stats of a worker.
    public init(
        heartbeat: Heartbeat, promptTokens: UInt64, busyFraction: Double? = nil, deviceBusyFraction: Double? = nil,
        slots: Int, context: Int, profile: StepTimes? = nil
    ) {
        self.heartbeat = heartbeat
        self.promptTokens = promptTokens
        self.busyFraction = busyFraction
        self.deviceBusyFraction = deviceBusyFraction
        self.slots = slots
        self.context = context
        self.profile = profile
    }

    enum CodingKeys: String, CodingKey {
        case profile
        case heartbeat
        case promptTokens = "prompt_tokens"
        case busyFraction = "busy_fraction"
        case deviceBusyFraction = "device_busy_fraction"
        case slots
        case context
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        heartbeat = try c.decode(Heartbeat.self, forKey: .heartbeat)
        promptTokens = try c.decodeNumber(UInt64.self, forKey: .promptTokens)
        busyFraction = try c.decodeNumberIfPresent(Double.self, forKey: .busyFraction)
        deviceBusyFraction = try c.decodeNumberIfPresent(Double.self, forKey: .deviceBusyFraction)
        slots = try c.decodeNumber(Int.self, forKey: .slots)
        context = try c.decodeNumber(Int.self, forKey: .context)
        profile = try c.decodeIfPresent(StepTimes.self, forKey: .profile)
    }
}

/// A worker's compute time by phase (scheduling, matmul, attention, sampling, ...), in seconds
/// since it started, over `steps` forward steps that carried `tokens` tokens.
public struct StepTimes: Sendable, Equatable, Codable {
    public var steps: UInt64
    public var tokens: UInt64
    public var seconds: [String: Double]

    public init(steps: UInt64, tokens: UInt64, seconds: [String: Double]) {
        self.steps = steps
        self.tokens = tokens
        self.seconds = seconds
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        steps = try c.decodeNumber(UInt64.self, forKey: .steps)
        tokens = try c.decodeNumber(UInt64.self, forKey: .tokens)
        seconds = try c.decode([String: Double].self, forKey: .seconds)
        guard seconds.count <= 64, seconds.values.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw DecodingError.dataCorruptedError(forKey: .seconds, in: c, debugDescription: "profile seconds must be finite and non-negative")
        }
    }
}
