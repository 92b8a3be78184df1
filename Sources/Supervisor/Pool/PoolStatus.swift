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

    /// Every listed worker is ready or busy.
    public var allRunning: Bool { !rows.isEmpty && rows.allSatisfy { $0.state.isRunning } }
    public var readyCount: Int { rows.filter { $0.state.isRunning }.count }
}
