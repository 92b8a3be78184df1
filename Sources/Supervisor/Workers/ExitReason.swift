import WorkerProtocol

/// Why a worker process ended, classified from what the supervisor did to it, the fault it
/// reported and its exit status. Used for logs (`VKSERVE_REASON`), metrics and failover.
public enum ExitReason: String, Sendable, Codable, CaseIterable {
    /// Stopped on request (operator, reload, scheduled restart, shutdown).
    case stopped
    /// Died by a signal or an internal error.
    case crash
    /// Killed by the supervisor: progress counters stood still with work in flight.
    case hang
    /// Killed by the supervisor: heartbeats stopped.
    case unresponsive
    /// Killed by the supervisor: not ready within `start_timeout`.
    case startTimeout = "start_timeout"
    case noDevice = "no_device"
    case outOfDeviceMemory = "out_of_device_memory"
    case deviceLost = "device_lost"
    case badModel = "bad_model"
    case badArguments = "bad_arguments"
    /// Killed by the supervisor: the worker's hello names another protocol version (a vkserve-worker from
    /// another release than vkserved).
    case protocolMismatch = "protocol_mismatch"
    /// Exited 0 without being asked to.
    case unexpectedExit = "unexpected_exit"
    /// The executable could not be started.
    case spawnFailed = "spawn_failed"

    /// The Vulkan path failed; a CPU worker can take over.
    public var isDeviceFailure: Bool {
        self == .noDevice || self == .outOfDeviceMemory || self == .deviceLost
    }

    /// Classifies an exit. `killedFor` is set when the supervisor killed the worker itself;
    /// `fault` is the last fault message the worker sent before it went.
    public static func classify(status: ExitStatus?, killedFor: ExitReason?, fault: FaultKind?, requested: Bool) -> ExitReason {
        if let killedFor { return killedFor }
        if let fault {
            switch fault {
            case .noDevice: return .noDevice
            case .outOfDeviceMemory: return .outOfDeviceMemory
            case .deviceLost: return .deviceLost
            case .badModel: return .badModel
            case .internal: return .crash
            }
        }
        switch status {
        case .signaled?: return requested ? .stopped : .crash
        case .exited(let code)?:
            switch WorkerExitCode(status: code) {
            case .ok?: return requested ? .stopped : .unexpectedExit
            case .badArguments?: return .badArguments
            case .badModel?: return .badModel
            case .noDevice?: return .noDevice
            case .outOfDeviceMemory?: return .outOfDeviceMemory
            case .deviceLost?: return .deviceLost
            case .internalError?, .crashInjected?, nil: return .crash
            }
        case nil: return .spawnFailed
        }
    }
}
