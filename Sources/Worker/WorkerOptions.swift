import Engine
import Tokenizer

/// How a worker runs: its socket, its model and engine, and its batching limits.
public struct WorkerOptions: Sendable {
    public enum Backend: String, Sendable, CaseIterable {
        case cpu, vulkan
    }

    public var socketPath: String
    public var modelPath: String
    public var backend: Backend
    public var device: Int?
    public var slots: Int
    public var context: Int
    public var threads: Int
    /// Tokens one forward step may carry (decode tokens of every slot plus prefill chunks).
    public var maxBatchTokens: Int
    /// Prompt tokens a prefilling sequence adds per step, at most.
    public var prefillChunk: Int
    /// Most tokens of a step in which sequences decode (0: maxBatchTokens).
    public var stepTokens = 0
    /// Target milliseconds of a step in which sequences decode (0: none).
    public var stepTargetMs = 0.0
    /// Keep slots' KV caches for requests that share a prompt prefix (`Generator.reusePrefixes`).
    public var prefixCache = true
    /// Seconds between heartbeats.
    public var heartbeatInterval: Double
    /// Requests waiting for a slot beyond which new ones are refused as `overloaded`.
    public var maxQueued: Int
    /// Seconds SIGTERM (or a `shutdown` without a deadline) lets in-flight requests run before cancelling them.
    public var shutdownGrace: Double
    /// Refuse a Vulkan device that is a software rasterizer on the CPU (lavapipe): the CPU engine beats it.
    public var hardwareOnly = false
    /// The chat layout replacing the one recognised in the model's template (`ChatTemplate.names`); nil = the model's.
    public var chatTemplate: String?

    public init(socketPath: String, modelPath: String, backend: Backend = .cpu, device: Int? = nil, slots: Int = 4,
                context: Int = 4096, threads: Int = 0, maxBatchTokens: Int = 512, prefillChunk: Int = 64,
                heartbeatInterval: Double = 1, maxQueued: Int? = nil, shutdownGrace: Double = 30) {
        self.socketPath = socketPath
        self.modelPath = modelPath
        self.backend = backend
        self.device = device
        self.slots = slots
        self.context = context
        self.threads = threads
        self.maxBatchTokens = maxBatchTokens
        self.prefillChunk = prefillChunk
        self.heartbeatInterval = heartbeatInterval
        self.maxQueued = maxQueued ?? 4 * slots
        self.shutdownGrace = shutdownGrace
    }

    /// How the generator fills its steps.
    public var schedulingPolicy: SchedulingPolicy {
        SchedulingPolicy(prefillChunk: prefillChunk, stepTokens: stepTokens > 0 ? stepTokens : nil,
                         stepTarget: stepTargetMs > 0 ? stepTargetMs / 1000 : nil)
    }

    /// Why these options cannot run, if they cannot.
    public var problem: String? {
        if slots < 1 || slots > 256 { return "--slots must be 1 to 256 (got \(slots))" }
        if context < 16 { return "--context must be at least 16 (got \(context))" }
        if threads < 0 { return "--threads must be 0 (one per core) or more (got \(threads))" }
        if maxBatchTokens <= slots { return "--batch-tokens must exceed --slots (got \(maxBatchTokens) for \(slots) slots)" }
        if prefillChunk < 1 { return "--prefill-chunk must be positive" }
        if stepTokens != 0 && !(stepTokens > slots && stepTokens <= maxBatchTokens) {
            return "--step-tokens must be 0 or between --slots + 1 and --batch-tokens (got \(stepTokens))"
        }
        if !(stepTargetMs >= 0 && stepTargetMs <= 60_000) { return "--step-target-ms must be 0 to 60000 (got \(stepTargetMs))" }
        if !(heartbeatInterval > 0.01 && heartbeatInterval <= 60) { return "--heartbeat-interval must be 0.01 to 60 seconds" }
        if let name = chatTemplate, !ChatTemplate.names.contains(name) {
            return "--chat-template must be one of \(ChatTemplate.names.joined(separator: ", ")) (got '\(name)')"
        }
        if socketPath.utf8.count >= 108 { return "--socket path is longer than a Unix socket allows (107 bytes)" }
        return nil
    }
}
