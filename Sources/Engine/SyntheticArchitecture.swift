import Foundation
import GGUF

/// A small random-weight model of one architecture with a real vocabulary, written with the tensor
/// names, shapes and metadata llama.cpp's converter gives that architecture, in a mix of block
/// types (Q4_K, Q6_K, Q8_0, F16). llama.cpp runs any such file, so its outputs on it are a reference
/// for each architecture's features where no real weights can be downloaded.
///
/// The weights are "peaky": projections are scaled so that attention is sharp and the logits spread
/// over several units, so that leaving out a feature (a bias, a norm, RoPE's frequency factors)
/// moves the perplexity by far more than arithmetic differences do. The file is a pure function of
/// the variant, the vocabulary and the seed (integer arithmetic and ggml's quantizers only).
public struct SyntheticArchitecture: Sendable {
    public enum Variant: String, Sendable, CaseIterable {
        /// `llama` with a Llama 3-style BPE vocabulary and no RoPE scaling.
        case llama
        /// `llama` with Llama 3.1's RoPE frequency factors (`rope_freqs.weight`).
        case llama31 = "llama3.1"
        /// `qwen2`: biases on q, k and v; NeoX RoPE.
        case qwen2
        /// `qwen3`: per-head RMSNorm of q and k; NeoX RoPE.
        case qwen3
        /// `phi3`: fused q/k/v and gate/up, LongRoPE factors and magnitude (a short original context,
        /// so that a 128-position sequence takes the long factors).
        case phi3
        /// `gemma2`: soft-capped scores and logits (caps small enough to bite), post-norms, a
        /// 32-position sliding window on even layers, tied output.
        case gemma2

        var architecture: String {
            switch self {
            case .llama, .llama31: "llama"
            case .qwen2: "qwen2"
            case .qwen3: "qwen3"
            case .phi3: "phi3"
            case .gemma2: "gemma2"
            }
        }
    }

    public var variant: Variant
    public var seed: UInt64
    public var hidden = 256
    public var layers = 2
    public var heads = 4
    public var kvHeads = 2
    public var ffn = 512
    /// One block type for every matrix (the token embedding and output included), for speed comparisons
    /// between architectures at one shape; nil = the mix of block types the fidelity references use.
    public var matrixType: GGMLType?
    /// RoPE base; with Llama 3.1's factors, wavelengths beyond `originalContext` are stretched.
    public var ropeBase: Float = 10000
    public var originalContext = 32
    /// phi3's original context: below the references' 128-position chunks, so they use the long factors.
    static let phi3OriginalContext = 64

    public init(variant: Variant, seed: UInt64 = 1) {
        self.variant = variant
        self.seed = seed
    }

    var headDim: Int { hidden / heads }

    /// Llama 3.1's per-pair frequency divisors as llama.cpp's converter computes them (factor 8,
    /// low-frequency factor 1, high-frequency factor 4), for `originalContext`.
    public func llama31Factors() -> [Float] {
        let factor: Double = 8, low: Double = 1, high: Double = 4, old = Double(originalContext)
        let lowWavelength = old / low, highWavelength = old / high
        return stride(from: 0, to: headDim, by: 2).map { i in
            let freq = 1 / pow(Double(ropeBase), Double(i) / Double(headDim))
            let wavelength = 2 * Double.pi / freq
            if wavelength < highWavelength { return 1 }
            if wavelength > lowWavelength { return Float(factor) }
            let smooth = (old / wavelength - low) / (high - low)
            return Float(1 / ((1 - smooth) / factor + smooth))
        }
    }

    /// Writes the model; the tokenizer (every `tokenizer.*` key) comes from `vocabulary`.
    public func write(to path: String, vocabulary: GGUFFile) throws(EngineError) {
        let (tokenizer, vocab) = try SyntheticModel.tokenizerKeys(of: vocabulary)
        let arch = variant.architecture
        let p = arch + "."
        let qwen = variant == .qwen2 || variant == .qwen3 || variant == .gemma2
        var metadata: [(String, GGUFValue)] = [
            ("general.architecture", .string(arch)),
            ("general.name", .string("vkserve synthetic \(variant.rawValue) \(layers)x\(hidden)")),
            (p + "context_length", .uint32(4096)),
            (p + "embedding_length", .uint32(UInt32(hidden))),
            (p + "block_count", .uint32(UInt32(layers))),
            (p + "feed_forward_length", .uint32(UInt32(ffn))),
            (p + "attention.head_count", .uint32(UInt32(heads))),
            (p + "attention.head_count_kv", .uint32(UInt32(kvHeads))),
            (p + "attention.layer_norm_rms_epsilon", .float32(qwen ? 1e-6 : 1e-5)),
            (p + "rope.freq_base", .float32(ropeBase)),
        ]
        if arch == "llama" {
            metadata.append((p + "rope.dimension_count", .uint32(UInt32(headDim))))
            metadata.append((p + "vocab_size", .uint32(UInt32(vocab))))
        }
        if variant == .qwen3 { metadata.append((p + "attention.key_length", .uint32(UInt32(headDim)))) }
        if variant == .phi3 {
            metadata.append((p + "rope.dimension_count", .uint32(UInt32(headDim))))
            metadata.append((p + "rope.scaling.original_context_length", .uint32(UInt32(Self.phi3OriginalContext))))
            // The converter's LongRoPE magnitude: sqrt(1 + ln(scale) / ln(original context)).
            let scale = 4096.0 / Double(Self.phi3OriginalContext)
            metadata.append((p + "rope.scaling.attn_factor", .float32(Float((1 + log(scale) / log(Double(Self.phi3OriginalContext))).squareRoot()))))
            metadata.append((p + "attention.sliding_window", .uint32(0)))
        }
        if variant == .gemma2 {
            metadata += [
                (p + "attention.key_length", .uint32(UInt32(headDim))),
                (p + "attention.value_length", .uint32(UInt32(headDim))),
                (p + "attention.sliding_window", .uint32(32)),
                (p + "attn_logit_softcapping", .float32(5)),
                (p + "final_logit_softcapping", .float32(10)),
            ]
        }
        var writer = GGUFWriter(metadata: metadata)
        for (key, value) in tokenizer { writer.set(key, value) }

        var rng = SeededGenerator(seed: seed)
        let kvDim = kvHeads * headDim
        do throws(GGUFError) {
            func matrix(_ name: String, _ cols: Int, _ rows: Int, _ mixed: GGMLType, std: Float) throws(GGUFError) {
                let type = matrixType ?? mixed
                let values = Self.gaussian(cols * rows, std: std, &rng)
                try writer.addTensor(name: name, type: type, shape: [cols, rows], bytes: try BlockCodec.quantize(type, values))
            }
            func vector(_ name: String, _ count: Int, around center: Float, spread: Float) throws(GGUFError) {
                let values = (0 ..< count).map { _ in center + spread * (Self.uniform(&rng) * 2 - 1) }
                try writer.addTensor(name: name, shape: [count], values: values)
            }
            let h = Float(hidden).squareRoot(), f = Float(ffn).squareRoot()
            // gemma2 multiplies embeddings by sqrt(hidden): its table is scaled down to match.
            try matrix("token_embd.weight", hidden, vocab, .q4_K, std: variant == .gemma2 ? 1 / h : 1)
            if variant == .llama31 { try writer.addTensor(name: "rope_freqs.weight", shape: [headDim / 2], values: llama31Factors()) }
            for i in 0 ..< layers {
                let b = "blk.\(i)."
                try vector(b + "attn_norm.weight", hidden, around: 1, spread: 0.2)
                if variant == .phi3 {
                    // q, k and v stacked in one matrix (q rows first), all of one block type. Softer than the
                    // others' q and k, so that LongRoPE's magnitude factor (scores x2 here) moves the output
                    // (+34 % perplexity when ignored; at 2/h the scores saturate and it moved 0.03 %).
                    try matrix(b + "attn_qkv.weight", hidden, hidden + 2 * kvDim, .q8_0, std: 1 / h)
                } else {
                    try matrix(b + "attn_q.weight", hidden, hidden, .q4_K, std: 2 / h)
                    try matrix(b + "attn_k.weight", hidden, kvDim, .q8_0, std: 2 / h)
                    try matrix(b + "attn_v.weight", hidden, kvDim, .q6_K, std: 1 / h)
                }
                if variant == .qwen2 {
                    try vector(b + "attn_q.bias", hidden, around: 0, spread: 1)
                    try vector(b + "attn_k.bias", kvDim, around: 0, spread: 1)
                    try vector(b + "attn_v.bias", kvDim, around: 0, spread: 0.5)
                }
                if variant == .qwen3 {
                    try vector(b + "attn_q_norm.weight", headDim, around: 1.5, spread: 0.5)
                    try vector(b + "attn_k_norm.weight", headDim, around: 1.5, spread: 0.5)
                }
                try matrix(b + "attn_output.weight", hidden, hidden, .f16, std: 1 / h)
                if variant == .gemma2 { try vector(b + "post_attention_norm.weight", hidden, around: 1, spread: 0.5) }
                try vector(b + "ffn_norm.weight", hidden, around: 1, spread: 0.2)
                if variant == .phi3 {
                    // gate rows, then up rows.
                    try matrix(b + "ffn_up.weight", hidden, 2 * ffn, .q4_K, std: 1.5 / h)
                } else {
                    try matrix(b + "ffn_gate.weight", hidden, ffn, .q4_K, std: 1.5 / h)
                    try matrix(b + "ffn_up.weight", hidden, ffn, .q8_0, std: 1.5 / h)
                }
                try matrix(b + "ffn_down.weight", ffn, hidden, .q6_K, std: 1 / f)
                if variant == .gemma2 { try vector(b + "post_ffw_norm.weight", hidden, around: 1, spread: 0.5) }
            }
            if variant == .phi3 {
                try vector("rope_factors_long.weight", headDim / 2, around: 4.5, spread: 3.5)
                try vector("rope_factors_short.weight", headDim / 2, around: 1.25, spread: 0.25)
            }
            // gemma2's logits come through its small-scaled embedding: a large output norm spreads
            // them past the soft cap.
            try vector("output_norm.weight", hidden, around: variant == .gemma2 ? 8 : 1, spread: variant == .gemma2 ? 2 : 0.2)
            // gemma2's output is its token embedding; the others get their own, with logits that
            // spread widely (gemma2's reach its soft cap through the embedding's scale instead).
            if variant != .gemma2 { try matrix("output.weight", hidden, vocab, .q6_K, std: 4 / h) }
            try writer.write(to: path)
        } catch {
            throw EngineError(.invalidRequest, "cannot write synthetic \(variant.rawValue) model to \(path): \(error)")
        }
    }

    /// A uniform float in [0, 1) from the top 24 bits (exact, the same on every machine).
    static func uniform(_ rng: inout SeededGenerator) -> Float {
        Float(rng.next() >> 40) / Float(1 << 24)
    }

    /// Approximately normal values: the centred sum of four uniforms (Irwin–Hall), scaled to `std`.
    static func gaussian(_ count: Int, std: Float, _ rng: inout SeededGenerator) -> [Float] {
        // The sum of four U(0,1) has variance 1/3.
        let scale = std * Float(3).squareRoot()
        return (0 ..< count).map { _ in
            let r = rng.next()
            var s: UInt32 = 0
            for k in 0 ..< 4 { s += UInt32((r >> (16 * UInt64(k))) & 0xFFFF) }
            return (Float(s) / 65536 - 2) * scale
        }
    }
}
