import ControlProtocol
import Logging

/// One worker incarnation as the pool drives it: started by `run()`, which returns once it has ended, and
/// told to drain, stop or die. ``WorkerInstance`` is the real one (a process over a socket); in-process tests give
/// the pool fakes through a ``WorkerFactory``.
public protocol SupervisedWorker: WorkerLink {
    var incarnation: UInt64 { get }
    var launch: WorkerLaunch { get }
    var snapshot: WorkerSnapshot { get }
    /// Starts the worker and follows it until it has ended; the pool runs this as a child task.
    func run() async -> InstanceOutcome
    /// Stop taking new requests; those in flight finish.
    func drain()
    /// Drain for up to `grace`, then exit.
    func stop(grace: Duration)
    /// End it now, recording why.
    func kill(_ reason: ExitReason)
}

/// What the pool needs to make one incarnation.
public struct WorkerSpec: Sendable {
    public var name: String
    public var incarnation: UInt64
    public var launch: WorkerLaunch
    public var health: SupervisorConfig.Health
    public var logger: Logger
    /// To be called on every change of the worker's state, with the state it left.
    public var onStateChange: @Sendable (_ from: SupervisedState, _ to: SupervisedState) -> Void
}

/// Makes the pool's worker incarnations; ``WorkerPool/processes`` starts real `vkserve-worker` processes.
public typealias WorkerFactory = @Sendable (WorkerSpec) -> any SupervisedWorker
