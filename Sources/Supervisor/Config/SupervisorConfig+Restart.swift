extension SupervisorConfig {
    /// Restart policy and scheduled restarts. Section `[restart]`.
    public struct Restart: Sendable, Equatable {
        /// Period of scheduled restarts of each worker; zero disables them. Key `every`.
        public var every: Duration
        /// Random offset added to each scheduled restart; less than `every`. Key `jitter`.
        public var jitter: Duration
        /// First delay before restarting a failed worker. Key `backoff_initial`.
        public var backoffInitial: Duration
        /// Cap of the exponential restart backoff. Key `backoff_max`.
        public var backoffMax: Duration
        /// Failed starts in a row after which a worker is `fatal`. Key `fatal_after`.
        public var fatalAfter: Int
        /// Period of the slow retries while a worker is `fatal`. Key `fatal_retry`.
        public var fatalRetry: Duration
        /// A run this long resets the backoff. Key `stable_after`.
        public var stableAfter: Duration
        /// How long in-flight requests get to finish during drains and stops. Key `drain_timeout`.
        public var drainTimeout: Duration
        /// Whether a rolling restart starts the replacement first when the device (or RAM) has room for two
        /// copies; false always drains, stops, then starts. Key `make_before_break`.
        public var makeBeforeBreak: Bool

        /// Creates a restart section; every parameter defaults to the documented default.
        public init(
            every: Duration = .seconds(12 * 3600),
            jitter: Duration = .seconds(10 * 60),
            backoffInitial: Duration = .seconds(1),
            backoffMax: Duration = .seconds(60),
            fatalAfter: Int = 5,
            fatalRetry: Duration = .seconds(5 * 60),
            stableAfter: Duration = .seconds(60),
            drainTimeout: Duration = .seconds(30),
            makeBeforeBreak: Bool = true
        ) {
            self.every = every
            self.jitter = jitter
            self.backoffInitial = backoffInitial
            self.backoffMax = backoffMax
            self.fatalAfter = fatalAfter
            self.fatalRetry = fatalRetry
            self.stableAfter = stableAfter
            self.drainTimeout = drainTimeout
            self.makeBeforeBreak = makeBeforeBreak
        }
    }
}
