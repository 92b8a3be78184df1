import GGUF

/// The tensors of one transformer block.
public struct LayerWeights: Sendable {
    public var attentionNorm: GGUFTensorInfo
    public var q: GGUFTensorInfo
    public var k: GGUFTensorInfo
    public var v: GGUFTensorInfo
    public var output: GGUFTensorInfo
    public var qNorm: GGUFTensorInfo?
    public var kNorm: GGUFTensorInfo?
    public var postAttentionNorm: GGUFTensorInfo?
    public var ffnNorm: GGUFTensorInfo
    public var gate: GGUFTensorInfo
    public var up: GGUFTensorInfo
    public var down: GGUFTensorInfo
    public var postFFNNorm: GGUFTensorInfo?
    /// Optional F32 biases added after each projection (qwen2's q, k and v; rarer elsewhere).
    public var qBias: GGUFTensorInfo?
    public var kBias: GGUFTensorInfo?
    public var vBias: GGUFTensorInfo?
    public var outputBias: GGUFTensorInfo?
    public var gateBias: GGUFTensorInfo?
    public var upBias: GGUFTensorInfo?
    public var downBias: GGUFTensorInfo?

    var optional: [GGUFTensorInfo] {
        [qNorm, kNorm, postAttentionNorm, postFFNNorm, qBias, kBias, vBias, outputBias, gateBias, upBias, downBias]
            .compactMap { $0 }
    }
}

/// Every tensor the forward pass reads, located and shape-checked once at load.
public struct ModelWeights: Sendable {
    public var tokenEmbedding: GGUFTensorInfo
    public var outputNorm: GGUFTensorInfo
    /// The output projection: `output.weight`, or the token embedding when they are tied.
    public var output: GGUFTensorInfo
    public var layers: [LayerWeights]
    /// Llama 3.1's per-pair RoPE frequency divisors (`rope_freqs.weight`, head_dim / 2 floats).
    public var ropeFactors: GGUFTensorInfo?
    /// phi3's LongRoPE divisors for sequences longer than the original context, and for shorter ones.
    public var ropeFactorsLong: GGUFTensorInfo?
    public var ropeFactorsShort: GGUFTensorInfo?

    /// Every distinct weight tensor, for backends that upload them.
    public var all: [GGUFTensorInfo] {
        var out = [tokenEmbedding, outputNorm]
        if output.name != tokenEmbedding.name { out.append(output) }
        for l in layers {
            out += [l.attentionNorm, l.q, l.k, l.v, l.output, l.ffnNorm, l.gate, l.up, l.down]
            out += l.optional
        }
        return out
    }

    /// Bytes of weights one decode step reads: every matrix of every layer, the norms and the
    /// whole output projection (the token embedding contributes one row).
    public var decodeBytesPerToken: Int {
        var total = output.byteCount + outputNorm.byteCount + tokenEmbedding.rowBytes
        for l in layers {
            total += [l.attentionNorm, l.q, l.k, l.v, l.output, l.ffnNorm, l.gate, l.up, l.down].reduce(0) { $0 + $1.byteCount }
            total += l.optional.reduce(0) { $0 + $1.byteCount }
        }
        return total
    }

    static let supportedMatrixTypes: Set<GGMLType> = [.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K]

    public init(file: GGUFFile, config c: ModelConfig) throws(EngineError) {
        var used: Set<String> = []
        func tensor(_ name: String, _ shape: [Int], matrix: Bool) throws(EngineError) -> GGUFTensorInfo {
            guard let t = file.tensor(named: name) else {
                throw EngineError(.unsupportedModel, "\(file.path): tensor '\(name)' is missing")
            }
            guard t.shape == shape else {
                throw EngineError(.unsupportedModel, "\(file.path): tensor '\(name)' has shape \(t.shape), expected \(shape)")
            }
            if matrix {
                guard Self.supportedMatrixTypes.contains(t.type) else {
                    throw EngineError(.unsupportedModel, "\(file.path): tensor '\(name)' is \(t.type), which the engine cannot multiply")
                }
            } else if t.type != .f32 {
                throw EngineError(.unsupportedModel, "\(file.path): norm weight '\(name)' is \(t.type), expected F32")
            }
            used.insert(name)
            return t
        }
        func optional(_ name: String, _ shape: [Int]) throws(EngineError) -> GGUFTensorInfo? {
            file.tensor(named: name) == nil ? nil : try tensor(name, shape, matrix: false)
        }
        tokenEmbedding = try tensor("token_embd.weight", [c.hidden, c.vocabularySize], matrix: true)
        outputNorm = try tensor("output_norm.weight", [c.hidden], matrix: false)
        output = c.tiedOutput || file.tensor(named: "output.weight") == nil
            ? tokenEmbedding
            : try tensor("output.weight", [c.hidden, c.vocabularySize], matrix: true)
        // Only llama files carry rope_freqs (Llama 3.1 and later), only phi3 files long and short
        // factors; elsewhere they are refused below as unknown.
        ropeFactors = c.architecture == .llama ? try optional("rope_freqs.weight", [c.headDim / 2]) : nil
        ropeFactorsLong = c.architecture == .phi3 ? try optional("rope_factors_long.weight", [c.headDim / 2]) : nil
        ropeFactorsShort = c.architecture == .phi3 ? try optional("rope_factors_short.weight", [c.headDim / 2]) : nil
        // A fused matrix is read as row ranges: each part is a matrix of its own in place.
        func rows(_ t: GGUFTensorInfo, _ part: String, from start: Int, count: Int) -> GGUFTensorInfo {
            GGUFTensorInfo(name: "\(t.name)[\(part)]", type: t.type, shape: [t.shape[0], count],
                           fileOffset: t.fileOffset + start * t.rowBytes, byteCount: count * t.rowBytes)
        }
        var layers: [LayerWeights] = []
        for i in 0 ..< c.layerCount {
            let b = "blk.\(i)."
            let q, k, v, gate, up: GGUFTensorInfo
            if c.fusedProjections {
                let qkv = try tensor(b + "attn_qkv.weight", [c.hidden, c.qDim + 2 * c.kvDim], matrix: true)
                q = rows(qkv, "q", from: 0, count: c.qDim)
                k = rows(qkv, "k", from: c.qDim, count: c.kvDim)
                v = rows(qkv, "v", from: c.qDim + c.kvDim, count: c.kvDim)
            } else {
                q = try tensor(b + "attn_q.weight", [c.hidden, c.qDim], matrix: true)
                k = try tensor(b + "attn_k.weight", [c.hidden, c.kvDim], matrix: true)
                v = try tensor(b + "attn_v.weight", [c.hidden, c.kvDim], matrix: true)
            }
            if c.architecture == .phi3 {
                // Gate and up in one matrix, gate first (llama.cpp's LLM_FFN_SWIGLU split).
                let fused = try tensor(b + "ffn_up.weight", [c.hidden, 2 * c.ffnLength], matrix: true)
                gate = rows(fused, "gate", from: 0, count: c.ffnLength)
                up = rows(fused, "up", from: c.ffnLength, count: c.ffnLength)
            } else {
                gate = try tensor(b + "ffn_gate.weight", [c.hidden, c.ffnLength], matrix: true)
                up = try tensor(b + "ffn_up.weight", [c.hidden, c.ffnLength], matrix: true)
            }
            let post = c.hasPostNorms
            layers.append(LayerWeights(
                attentionNorm: try tensor(b + "attn_norm.weight", [c.hidden], matrix: false),
                q: q, k: k, v: v,
                output: try tensor(b + "attn_output.weight", [c.qDim, c.hidden], matrix: true),
                qNorm: c.hasQKNorm ? try tensor(b + "attn_q_norm.weight", [c.headDim], matrix: false) : nil,
                kNorm: c.hasQKNorm ? try tensor(b + "attn_k_norm.weight", [c.headDim], matrix: false) : nil,
                postAttentionNorm: post ? try tensor(b + "post_attention_norm.weight", [c.hidden], matrix: false) : nil,
                ffnNorm: try tensor(b + "ffn_norm.weight", [c.hidden], matrix: false),
                gate: gate, up: up,
                down: try tensor(b + "ffn_down.weight", [c.ffnLength, c.hidden], matrix: true),
                postFFNNorm: post ? try tensor(b + "post_ffw_norm.weight", [c.hidden], matrix: false) : nil,
                qBias: c.fusedProjections ? nil : try optional(b + "attn_q.bias", [c.qDim]),
                kBias: c.fusedProjections ? nil : try optional(b + "attn_k.bias", [c.kvDim]),
                vBias: c.fusedProjections ? nil : try optional(b + "attn_v.bias", [c.kvDim]),
                outputBias: try optional(b + "attn_output.bias", [c.hidden]),
                gateBias: c.architecture == .phi3 ? nil : try optional(b + "ffn_gate.bias", [c.ffnLength]),
                upBias: c.architecture == .phi3 ? nil : try optional(b + "ffn_up.bias", [c.ffnLength]),
                downBias: try optional(b + "ffn_down.bias", [c.hidden])
            ))
        }
        self.layers = layers
        // A tensor the forward pass would not read means a layout this engine does not know (a
        // fused projection, an expert table, a bias on the logits): refuse it rather than run a
        // different model than the file describes.
        let unknown = file.tensors.map(\.name).filter { !used.contains($0) }
        if !unknown.isEmpty {
            let shown = unknown.prefix(6).map { "'\($0)'" }.joined(separator: ", ")
            throw EngineError(.unsupportedModel, "\(file.path): \(c.architecture.rawValue) file has \(unknown.count) tensor(s) "
                + "the engine does not read (\(shown)\(unknown.count > 6 ? ", ..." : "")): an unsupported variant of the "
                + "architecture or a damaged conversion")
        }
    }
}
