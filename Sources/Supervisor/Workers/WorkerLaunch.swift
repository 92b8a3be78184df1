/// How to start one worker: its executable, arguments and environment.
public struct WorkerLaunch: Sendable, Equatable {
    public enum Backend: String, Sendable, Codable {
        case vulkan, cpu
    }

    public var backend: Backend
    public var executable: String
    public var socketPath: String
    /// Everything but `--socket`, which is added per incarnation.
    public var arguments: [String]
    public var environment: [String: String]

    public init(backend: Backend, executable: String, socketPath: String, arguments: [String], environment: [String: String]) {
        self.backend = backend
        self.executable = executable
        self.socketPath = socketPath
        self.arguments = arguments
        self.environment = environment
    }
}
