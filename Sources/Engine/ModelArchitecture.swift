/// The transformer families the engine runs (`general.architecture`).
public enum ModelArchitecture: String, Sendable, CaseIterable {
    /// Llama 1–3.x, Mistral, SmolLM and other `llama` files (Llama 3.1's `rope_freqs` included).
    case llama
    /// Qwen 2 and 2.5: `llama` with biases on q, k and v, and NeoX RoPE.
    case qwen2
    /// Qwen 3: per-head RMSNorm of q and k, NeoX RoPE, no biases.
    case qwen3
    /// Phi-3 and Phi-3.5/4 (full RoPE): fused q/k/v and gate/up, long and short RoPE factors.
    case phi3
    /// Gemma 2: soft-capped attention scores and logits, norms after attention and the FFN,
    /// a sliding window on alternate layers.
    case gemma2
    case gemma3
}

/// How RoPE pairs the dimensions of a head.
public enum RopeKind: Sendable {
    /// Adjacent pairs (2i, 2i+1): llama.
    case normal
    /// The two halves (i, i + d/2): NeoX, gemma, qwen.
    case neox
}

/// The gated activation of the feed-forward block.
public enum GatedActivation: Sendable {
    case silu
    case geluTanh
}
