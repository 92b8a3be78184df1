import ControlProtocol
/// One named place in the pool (`vulkan-0`, `cpu-0`, `cpu-fallback-0`) and the worker
/// incarnations that fill it over time.
struct Slot {
    enum Role: Equatable {
        case primary
        /// A CPU worker standing in for the named Vulkan worker.
        case fallback(for: String)
    }

    let name: String
    let role: Role
    var launch: WorkerLaunch
    var policy: RestartPolicy
    /// The incarnation serving (or starting to).
    var current: (any SupervisedWorker)?
    /// Its replacement during a make-before-break restart.
    var next: (any SupervisedWorker)?
    /// State shown while no incarnation exists.
    var idleState: SupervisedState = .stopped
    /// Whether the slot should be running (false after `stop`).
    var wanted = true
    var retryAt: ContinuousClock.Instant?
    var nextScheduledRestart: ContinuousClock.Instant?
    var restarts = 0
    var lastExit: String?
    /// Why this Vulkan slot is failed over to the CPU (nil: not degraded).
    var degradedBy: String?
    var probes = 0
    /// How the degraded episode's last failure ended (the degrading one, then each probe): a probe that fails
    /// the same way is logged at debug.
    var lastFailure: ExitReason?
    /// While degraded: lowers the probes' own log lines to debug until one of them is ready.
    var probeQuieting: ProbeQuieting?

    var state: SupervisedState {
        guard let current else { return idleState }
        // An incarnation whose task has yet to run is starting, not stopped: a pool that shows `stopped` there
        // for a moment would make the router give up on requests waiting for it.
        let s = current.snapshot.state
        return s == .stopped ? .starting : s
    }
}
