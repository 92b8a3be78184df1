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
    /// Linear RoPE frequency scale: 1 / `rope.scaling.factor` when `rope.scaling.type` is linear.
    public var ropeFreqScale: Float
    /// Magnitude factor of RoPE's cos and sin (`rope.scaling.attn_factor`).
    public var ropeAttnFactor: Float
    /// Keys with `p_query - p_key >= slidingWindow` are masked on sliding-window layers (0: none).
    public var slidingWindow: Int
    /// Layer i uses the sliding window when `i % pattern < pattern - 1` (0: no such layers).
    public var slidingWindowPattern: Int
    public var activation: GatedActivation
    /// Token embeddings are multiplied by this (gemma: sqrt(hidden)).
    public var embeddingScale: Float
    /// Scale of Q·K scores.
    public var attentionScale: Float
    /// Per-head RMSNorm on Q and K (gemma3, qwen3), and norms after attention and FFN (gemma3).
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
        // RoPE scaling as llama.cpp reads it for every architecture: "none" and "linear" (the
        // default) are computed; YaRN and LongRoPE are not, and a file asking for them is refused
        // rather than run with the wrong positions.
        let scaling: String
        if file.value(p + "rope.scaling.type") == nil { scaling = "linear" } else {
            do { scaling = try file.string(p + "rope.scaling.type") } catch { throw EngineError(.unsupportedModel, error.message) }
        }
        guard scaling == "none" || scaling == "linear" else {
            throw EngineError(.unsupportedModel, "\(file.path): \(p)rope.scaling.type '\(scaling)' is not supported "
                + "(supported: none, linear, and Llama 3.1's rope_freqs)")
        }
        var factor = try float("rope.scaling.factor", 0)
        if factor == 0 { factor = try float("rope.scale_linear", 0) }
        ropeFreqScale = factor == 0 ? 1 : 1 / factor
        ropeAttnFactor = try float("rope.scaling.attn_factor", 1)
        switch arch {
        case .llama, .qwen2, .qwen3:
            ropeKind = arch == .llama ? .normal : .neox
            ropeBase = try float("rope.freq_base", 10000)
            ropeBaseLocal = ropeBase
            // llama.cpp runs these without a sliding window even where the file names one
            // (Mistral 7B v0.1's converted files): so does the engine, to give the same outputs.
            slidingWindow = 0
            slidingWindowPattern = 0
            activation = .silu
            embeddingScale = 1
            let scale = arch == .llama ? try float("attention.scale", 0) : 0
            attentionScale = scale == 0 ? 1 / Float(headDim).squareRoot() : scale
            hasQKNorm = arch == .qwen3
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
        guard ropeDims == headDim, headDim % 2 == 0, headDim <= 512, try int("attention.value_length", headDim) == headDim else {
            throw EngineError(.unsupportedModel, "\(file.path): partial RoPE (\(ropeDims) of \(headDim) dims) or head size \(headDim) is not supported")
        }
    }
}
