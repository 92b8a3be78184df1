extension SupervisorConfig {
    /// Liveness (heartbeats) and progress (counters) checks of the workers. Section `[health]`.
    public struct Health: Sendable, Equatable {
        /// How often a worker sends a heartbeat. Key `heartbeat_interval`.
        public var heartbeatInterval: Duration
        /// A worker silent this long is killed; at least twice `heartbeatInterval`. Key `heartbeat_timeout`.
        public var heartbeatTimeout: Duration
        /// A worker whose counters do not advance this long while work is in flight is killed.
        /// Key `stall_timeout`.
        public var stallTimeout: Duration
        /// Longest time from spawn to ready, model load included. Key `start_timeout`.
        public var startTimeout: Duration

        /// Creates a health section; every parameter defaults to the documented default.
        public init(
            heartbeatInterval: Duration = .seconds(1),
            heartbeatTimeout: Duration = .seconds(5),
            stallTimeout: Duration = .seconds(15),
            startTimeout: Duration = .seconds(300)
        ) {
            self.heartbeatInterval = heartbeatInterval
            self.heartbeatTimeout = heartbeatTimeout
            self.stallTimeout = stallTimeout
            self.startTimeout = startTimeout
        }
    }
}
