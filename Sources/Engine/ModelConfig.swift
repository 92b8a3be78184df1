import GGUF

/// A model's hyper-parameters, read from GGUF metadata and checked against its tensors.
public struct ModelConfig: Sendable {
    public var architecture: ModelArchitecture
    public var layerCount: Int
    public var hidden: Int
    public var headCount: Int
    public var kvHeadCount: Int
    public var headDim: Int
    public var ffnLength: Int
    public var vocabularySize: Int
    /// The context the model was trained for.
    public var trainedContext: Int
    public var normEpsilon: Float
    public var ropeKind: RopeKind
    /// RoPE base of global-attention layers.
    public var ropeBase: Float
    /// RoPE base of sliding-window layers.
    public var ropeBaseLocal: Float
    /// Keys with `p_query - p_key >= slidingWindow` are masked on sliding-window layers (0: none).
    public var slidingWindow: Int
    /// Layer i uses the sliding window when `i % pattern < pattern - 1` (0: no such layers).
    public var slidingWindowPattern: Int
    public var activation: GatedActivation
    /// Token embeddings are multiplied by this (gemma: sqrt(hidden)).
    public var embeddingScale: Float
    /// Scale of Q·K scores.
    public var attentionScale: Float
    /// Per-head RMSNorm on Q and K, and norms after attention and FFN (gemma3).
    public var hasQKNorm: Bool
    public var hasPostNorms: Bool

    public var qDim: Int { headCount * headDim }
    public var kvDim: Int { kvHeadCount * headDim }

    public func isSlidingWindowLayer(_ layer: Int) -> Bool {
        slidingWindowPattern > 0 && slidingWindow > 0 && layer % slidingWindowPattern < slidingWindowPattern - 1
    }

    public init(file: GGUFFile) throws(EngineError) {
        let archName: String
        do { archName = try file.string("general.architecture") } catch {
            throw EngineError(.unsupportedModel, "\(file.path): \(error.message)")
        }
        guard let arch = ModelArchitecture(rawValue: archName) else {
            throw EngineError(.unsupportedModel,
                              "\(file.path): architecture '\(archName)' is not supported (supported: \(ModelArchitecture.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let p = archName + "."
        func int(_ key: String, _ fallback: Int? = nil) throws(EngineError) -> Int {
            if file.value(p + key) == nil, let fallback { return fallback }
            do { return try file.int(p + key) } catch { throw EngineError(.unsupportedModel, error.message) }
        }
        func float(_ key: String, _ fallback: Float) throws(EngineError) -> Float {
            guard file.value(p + key) != nil else { return fallback }
            do { return Float(try file.double(p + key)) } catch { throw EngineError(.unsupportedModel, error.message) }
        }
        architecture = arch
        layerCount = try int("block_count")
        hidden = try int("embedding_length")
        headCount = try int("attention.head_count")
        kvHeadCount = try int("attention.head_count_kv", headCount)
        ffnLength = try int("feed_forward_length")
        trainedContext = try int("context_length", 2048)
        guard layerCount > 0, hidden > 0, headCount > 0, kvHeadCount > 0, headCount % kvHeadCount == 0, ffnLength > 0 else {
            throw EngineError(.unsupportedModel, "\(file.path): implausible hyper-parameters (layers \(layerCount), hidden \(hidden), heads \(headCount)/\(kvHeadCount), ffn \(ffnLength))")
        }
        headDim = try int("attention.key_length", hidden / headCount)
        normEpsilon = try float("attention.layer_norm_rms_epsilon", 1e-5)
        guard let embd = file.tensor(named: "token_embd.weight"), embd.shape.count == 2, embd.shape[0] == hidden else {
            throw EngineError(.unsupportedModel, "\(file.path): token_embd.weight is missing or not [\(hidden), vocab]")
        }
        vocabularySize = embd.shape[1]
        switch arch {
        case .llama:
            ropeKind = .normal
            ropeBase = try float("rope.freq_base", 10000)
            ropeBaseLocal = ropeBase
            slidingWindow = 0
            slidingWindowPattern = 0
            activation = .silu
            embeddingScale = 1
            attentionScale = 1 / Float(headDim).squareRoot()
            hasQKNorm = false
            hasPostNorms = false
        case .gemma3:
            ropeKind = .neox
            ropeBase = try float("rope.freq_base", 1_000_000)
            ropeBaseLocal = 10000
            slidingWindow = try int("attention.sliding_window", 512)
            slidingWindowPattern = 6
            activation = .geluTanh
            embeddingScale = Float(hidden).squareRoot()
            // gemma3 scales Q by 1/sqrt(head_dim) after RoPE and attends with scale 1
            attentionScale = 1
            hasQKNorm = true
            hasPostNorms = true
        }
        let ropeDims = try int("rope.dimension_count", headDim)
        guard ropeDims == headDim, headDim % 2 == 0, headDim <= 512 else {
            throw EngineError(.unsupportedModel, "\(file.path): partial RoPE (\(ropeDims) of \(headDim) dims) or head size \(headDim) is not supported")
        }
    }
}
