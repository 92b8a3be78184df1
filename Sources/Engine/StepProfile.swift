
/// Where the compute thread's time goes, accumulated since the generator started: the backend's
/// forward pass by kind of op, plus the generator's own scheduling and sampling. The CPU backend
/// times every op (a clock read costs tens of nanoseconds against ops of microseconds); a backend
/// that cannot split its forward pass reports it whole as `forward`.
public struct StepProfile: Sendable, Equatable {
    public enum Phase: Int, CaseIterable, Sendable {
        /// Admitting, cancelling and batching requests before a forward pass.
        case scheduling
        case embed
        /// RMS norms (layer, head and output norms).
        case norm
        /// Matrix products of the layers, with their activation quantization.
        case matmul
        case rope
        /// Writing keys and values into the cache.
        case kvStore
        case attention
        /// Gated activations, residual additions and scales.
        case elementwise
        /// The output projection to the vocabulary.
        case logits
        /// A backend's forward pass it does not split (Vulkan: one submission).
        case forward
        /// Sampling, detokenizing and stop matching of every sequence.
        case sampling

        public var name: String {
            switch self {
            case .scheduling: return "scheduling"
            case .embed: return "embed"
            case .norm: return "norm"
            case .matmul: return "matmul"
            case .rope: return "rope"
            case .kvStore: return "kv_store"
            case .attention: return "attention"
            case .elementwise: return "elementwise"
            case .logits: return "logits"
            case .forward: return "forward"
            case .sampling: return "sampling"
            }
        }
    }

    /// Seconds by phase, indexed by `Phase.rawValue`.
    public private(set) var seconds: [Double] = Array(repeating: 0, count: Phase.allCases.count)
    /// Forward steps run.
    public var steps: UInt64 = 0
    /// Tokens those steps carried (decode and prompt).
    public var tokens: UInt64 = 0

    public init() {}

    public subscript(_ p: Phase) -> Double {
        get { seconds[p.rawValue] }
        set { seconds[p.rawValue] = newValue }
    }

    public var total: Double { seconds.reduce(0, +) }

    /// Seconds by phase name, for the protocol's stats.
    public var byName: [String: Double] {
        Dictionary(uniqueKeysWithValues: Phase.allCases.map { ($0.name, seconds[$0.rawValue]) })
    }

    /// Adds another profile's figures (a backend's into the generator's).
    public mutating func add(_ other: StepProfile) {
        for i in seconds.indices { seconds[i] += other.seconds[i] }
        steps += other.steps
        tokens += other.tokens
    }
}
