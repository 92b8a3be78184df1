/// The pool as `supervisorctl status` and `/ready` see it.
public struct PoolStatus: Sendable, Codable, Equatable {
    public struct Row: Sendable, Codable, Equatable {
        public var name: String
        public var state: SupervisedState
        public var backend: String
        public var device: String?
        public var pid: Int32?
        /// Seconds since this incarnation became ready (or was spawned, before that).
        public var uptimeS: Double?
        public var inFlight: Int
        public var vramUsed: Int?
        public var vramBudget: Int?
        public var rss: Int?
        public var restarts: Int
        public var lastExit: String?
        /// For a CPU worker standing in for a Vulkan one: the Vulkan worker's name.
        public var replaces: String?
        /// Seconds until the next start attempt (backoff, fatal) or scheduled restart.
        public var retryInS: Double?
        public var nextRestartInS: Double?
        /// A second incarnation starting or retiring beside this one (rolling restart).
        public var shadow: String?

        public init(name: String, state: SupervisedState, backend: String, device: String? = nil, pid: Int32? = nil,
                    uptimeS: Double? = nil, inFlight: Int = 0, vramUsed: Int? = nil, vramBudget: Int? = nil,
                    rss: Int? = nil, restarts: Int = 0, lastExit: String? = nil, replaces: String? = nil,
                    retryInS: Double? = nil, nextRestartInS: Double? = nil, shadow: String? = nil) {
            self.name = name
            self.state = state
            self.backend = backend
            self.device = device
            self.pid = pid
            self.uptimeS = uptimeS
            self.inFlight = inFlight
            self.vramUsed = vramUsed
            self.vramBudget = vramBudget
            self.rss = rss
            self.restarts = restarts
            self.lastExit = lastExit
            self.replaces = replaces
            self.retryInS = retryInS
            self.nextRestartInS = nextRestartInS
            self.shadow = shadow
        }
    }

    public var rows: [Row]
    public var degraded: Bool
    public var degradedReason: String?
    /// The line sent to systemd as `STATUS=`.
    public var summary: String
    public var pid: Int32
    public var version: String
    public var uptimeS: Double
    /// Transitions into each state since start, and exits by reason: what metrics count.
    public var transitions: [String: Int]
    public var exits: [String: Int]

    public init(rows: [Row], degraded: Bool = false, degradedReason: String? = nil, summary: String = "", pid: Int32 = 0,
                version: String = "", uptimeS: Double = 0, transitions: [String: Int] = [:], exits: [String: Int] = [:]) {
        self.rows = rows
        self.degraded = degraded
        self.degradedReason = degradedReason
        self.summary = summary
        self.pid = pid
        self.version = version
        self.uptimeS = uptimeS
        self.transitions = transitions
        self.exits = exits
    }

    /// Every listed worker is ready or busy.
    public var allRunning: Bool { !rows.isEmpty && rows.allSatisfy { $0.state.isRunning } }
    public var readyCount: Int { rows.filter { $0.state.isRunning }.count }
}
