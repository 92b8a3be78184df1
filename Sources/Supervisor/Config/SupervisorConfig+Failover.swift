extension SupervisorConfig {
    /// CPU failover: the backoff of re-probing the Vulkan path while the pool is degraded. Section `[failover]`.
    public struct Failover: Sendable, Equatable {
        /// First delay before probing the Vulkan path again. Key `probe_initial`.
        public var probeInitial: Duration
        /// Cap of the probe backoff; at least `probeInitial`. Key `probe_max`.
        public var probeMax: Duration

        /// Creates a failover section; every parameter defaults to the documented default.
        public init(probeInitial: Duration = .seconds(10), probeMax: Duration = .seconds(5 * 60)) {
            self.probeInitial = probeInitial
            self.probeMax = probeMax
        }
    }
}
