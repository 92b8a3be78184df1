/// The transformer families the engine runs (`general.architecture`).
public enum ModelArchitecture: String, Sendable, CaseIterable {
    case llama
    case gemma3
}

/// How RoPE pairs the dimensions of a head.
public enum RopeKind: Sendable {
    /// Adjacent pairs (2i, 2i+1): llama.
    case normal
    /// The two halves (i, i + d/2): NeoX, gemma.
    case neox
}

/// The gated activation of the feed-forward block.
public enum GatedActivation: Sendable {
    case silu
    case geluTanh
}
