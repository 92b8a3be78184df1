/// The exit status of `vkserve-worker`; the supervisor picks restart or CPU failover by it.
public enum WorkerExitCode: Int32, Sendable, CaseIterable {
    /// Clean exit after `shutdown` or SIGTERM.
    case ok = 0
    /// A bug, or a failure with no more specific code.
    case internalError = 1
    /// The command line is wrong; restarting will not help.
    case badArguments = 2
    /// The model file is missing, unreadable or unsupported; restarting will not help.
    case badModel = 3
    /// No usable device for the requested backend; the supervisor may fail over to the CPU.
    case noDevice = 4
    /// Device memory ran out; the supervisor may fail over to the CPU.
    case outOfDeviceMemory = 5
    /// The device was lost; the supervisor may fail over to the CPU.
    case deviceLost = 6
    /// A crash requested by fault injection (tests only).
    case crashInjected = 7

    /// The code for a process exit status; `nil` for a status the worker never uses.
    public init?(status: Int32) {
        self.init(rawValue: status)
    }

    /// What the code means, for documentation and the supervisor's log.
    public var meaning: String {
        switch self {
        case .ok: "exited cleanly"
        case .internalError: "internal error"
        case .badArguments: "bad command-line arguments"
        case .badModel: "model file missing, unreadable or unsupported"
        case .noDevice: "no usable device for the requested backend"
        case .outOfDeviceMemory: "out of device memory"
        case .deviceLost: "device lost"
        case .crashInjected: "crash injected for a test"
        }
    }
}
