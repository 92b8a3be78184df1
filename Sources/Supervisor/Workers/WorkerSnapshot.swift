import ControlProtocol
import WorkerProtocol

/// What the supervisor knows about one worker incarnation right now.
public struct WorkerSnapshot: Sendable {
    public var incarnation: UInt64
    public var state: SupervisedState
    public var pid: Int32?
    public var device: String?
    public var spawnedAt: ContinuousClock.Instant?
    public var readyAt: ContinuousClock.Instant?
    public var lastHeartbeat: Heartbeat?
    public var lastHeartbeatAt: ContinuousClock.Instant?
    /// Requests this supervisor has sent and not yet seen end.
    public var pending: Int
}
