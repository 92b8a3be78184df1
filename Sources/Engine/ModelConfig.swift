import GGUF

/// A model's hyper-parameters, read from GGUF metadata as llama.cpp reads them for each
/// architecture, and checked against its tensors.
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
    /// The same for sliding-window layers (llama.cpp: 1 unless the architecture says otherwise).
    public var ropeFreqScaleLocal: Float
    /// Magnitude factor of RoPE's cos and sin (`rope.scaling.attn_factor`).
    public var ropeAttnFactor: Float
    /// The context RoPE's factors were made for (`rope.scaling.original_context_length`): phi3
    /// uses its long factors when a sequence may be longer.
    public var ropeOriginalContext: Int
    /// Keys with `p_query - p_key >= slidingWindow` are masked on sliding-window layers (0: none).
    public var slidingWindow: Int
    /// Which layers use the sliding window (empty: none).
    public var slidingLayers: [Bool]
    public var activation: GatedActivation
    /// Token embeddings are multiplied by this (gemma: sqrt(hidden)).
    public var embeddingScale: Float
    /// Q is multiplied by this after RoPE (gemma, phi3), and the scores then by `attentionScale`.
    public var queryScale: Float?
    /// Scale of Q·K scores.
    public var attentionScale: Float
    /// Scores become cap · tanh(score / cap) before the softmax (gemma2); 0: no capping.
    public var attentionSoftcap: Float
    /// Logits become cap · tanh(logit / cap) (gemma2).
    public var finalSoftcap: Float?
    /// Per-head RMSNorm on Q and K (gemma3, qwen3).
    public var hasQKNorm: Bool
    /// RMSNorms after attention and after the feed-forward block (gemma2, gemma3).
    public var hasPostNorms: Bool
    /// Q, K and V in one matrix, and gate and up in one (phi3).
    public var fusedProjections: Bool
    /// The output projection is always the token embedding (gemma).
    public var tiedOutput: Bool

    public var qDim: Int { headCount * headDim }
    public var kvDim: Int { kvHeadCount * headDim }

    public func isSlidingWindowLayer(_ layer: Int) -> Bool {
        slidingWindow > 0 && layer < slidingLayers.count && slidingLayers[layer]
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

        // RoPE scaling as llama.cpp reads it: "none" and "linear" (the default) for every
        // architecture, "longrope" for phi3 (its long and short factor tensors). YaRN is not
        // computed, and a file asking for it is refused rather than run with the wrong positions.
        let scaling: String
        if file.value(p + "rope.scaling.type") == nil { scaling = "linear" } else {
            do { scaling = try file.string(p + "rope.scaling.type") } catch { throw EngineError(.unsupportedModel, error.message) }
        }
        guard scaling == "none" || scaling == "linear" || (scaling == "longrope" && arch == .phi3) else {
            throw EngineError(.unsupportedModel, "\(file.path): \(p)rope.scaling.type '\(scaling)' is not supported "
                + "(supported: none, linear, Llama 3.1's rope_freqs, and longrope for phi3)")
        }
        var factor = try float("rope.scaling.factor", 0)
        if factor == 0 { factor = try float("rope.scale_linear", 0) }
        ropeFreqScale = scaling == "longrope" || factor == 0 ? 1 : 1 / factor
        ropeFreqScaleLocal = 1
        ropeAttnFactor = try float("rope.scaling.attn_factor", 1)
        ropeOriginalContext = try int("rope.scaling.original_context_length", trainedContext)

        // Defaults, overridden per architecture below.
        ropeKind = .neox
        ropeBase = try float("rope.freq_base", 10000)
        ropeBaseLocal = ropeBase
        slidingWindow = 0
        slidingLayers = []
        activation = .silu
        embeddingScale = 1
        queryScale = nil
        attentionScale = 1 / Float(headDim).squareRoot()
        attentionSoftcap = 0
        finalSoftcap = nil
        hasQKNorm = false
        hasPostNorms = false
        fusedProjections = false
        tiedOutput = false
        switch arch {
        case .llama, .qwen2, .qwen3:
            if arch == .llama { ropeKind = .normal }
            // llama.cpp runs these without a sliding window even where the file names one
            // (Mistral 7B v0.1's converted files): so does the engine, to give the same outputs.
            let scale = arch == .llama ? try float("attention.scale", 0) : 0
            if scale != 0 { attentionScale = scale }
            hasQKNorm = arch == .qwen3
        case .phi3:
            // llama.cpp disables phi3's sliding window too.
            queryScale = 1 / Float(headDim).squareRoot()
            attentionScale = 1
            fusedProjections = file.tensor(named: "blk.0.attn_qkv.weight") != nil
        case .gemma2:
            slidingWindow = try int("attention.sliding_window", 4096)
            slidingLayers = try Self.slidingLayers(file, p, layers: layerCount, pattern: 2)
            activation = .geluTanh
            embeddingScale = Float(hidden).squareRoot()
            // llama.cpp: 1/sqrt(hidden/heads) for the 27B shape (46 layers), else 1/sqrt(head_dim).
            queryScale = 1 / Float(layerCount == 46 ? hidden / headCount : headDim).squareRoot()
            attentionScale = 1
            attentionSoftcap = try float("attn_logit_softcapping", 50)
            finalSoftcap = try float("final_logit_softcapping", 30)
            hasPostNorms = true
            tiedOutput = true
            ropeBaseLocal = try float("rope.freq_base_swa", ropeBase)
            ropeFreqScaleLocal = ropeFreqScale
        case .gemma3:
            ropeBase = try float("rope.freq_base", 1_000_000)
            ropeBaseLocal = try float("rope.freq_base_swa", 10000)
            slidingWindow = try int("attention.sliding_window", 512)
            slidingLayers = try Self.slidingLayers(file, p, layers: layerCount, pattern: 6)
            activation = .geluTanh
            embeddingScale = Float(hidden).squareRoot()
            // gemma3 scales Q by 1/sqrt(head_dim) after RoPE and attends with scale 1
            queryScale = 1 / Float(headDim).squareRoot()
            attentionScale = 1
            hasQKNorm = true
            hasPostNorms = true
            let cap = try float("final_logit_softcapping", 0)
            finalSoftcap = cap > 0 ? cap : nil
        }
        let ropeDims = try int("rope.dimension_count", headDim)
        guard ropeDims == headDim, headDim % 2 == 0, headDim <= 512, try int("attention.value_length", headDim) == headDim else {
            throw EngineError(.unsupportedModel, "\(file.path): partial RoPE (\(ropeDims) of \(headDim) dims) or head size \(headDim) is not supported")
        }
    }

    /// Sliding-window layers from `attention.sliding_window_pattern` (an array of flags, or a
    /// period: layer i slides when i % n < n - 1), else from the architecture's period.
    static func slidingLayers(_ file: GGUFFile, _ p: String, layers: Int, pattern: Int) throws(EngineError) -> [Bool] {
        var n = pattern
        if let value = file.value(p + "attention.sliding_window_pattern") {
            if case .array(.bools(let flags)) = value {
                guard flags.count >= layers else {
                    throw EngineError(.unsupportedModel, "\(file.path): \(p)attention.sliding_window_pattern has \(flags.count) flags for \(layers) layers")
                }
                return Array(flags.prefix(layers))
            }
            guard let v = value.int, v >= 0 else {
                throw EngineError(.unsupportedModel, "\(file.path): \(p)attention.sliding_window_pattern is not a period or an array of flags")
            }
            n = v
        }
        return (0 ..< layers).map { n == 0 || $0 % n < n - 1 }
    }
}
