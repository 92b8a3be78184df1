import GGUF

/// The activation buffers a forward step uses; each holds one row per token of the batch.
public enum Activation: Int, Sendable, CaseIterable {
    /// The residual stream (hidden).
    case residual
    /// A normalised copy of the residual (hidden).
    case normed
    case q
    case k
    case v
    /// Attention output before the output projection (qDim).
    case attention
    /// Output of a projection back to hidden (attention output, FFN down).
    case projection
    case gate
    case up

    /// Floats per row of this buffer.
    public func width(_ c: ModelConfig) -> Int {
        switch self {
        case .residual, .normed, .projection: return c.hidden
        case .q, .attention: return c.qDim
        case .k, .v: return c.kvDim
        case .gate, .up: return c.ffnLength
        }
    }
}

/// One operation of a forward step. Backends execute the sequence in order; the CPU backend
/// op by op, the Vulkan backend by recording it into one command buffer.
public enum ForwardOp: Sendable {
    /// residual = rows of the token embedding for the batch's tokens, times `scale`.
    case embed(scale: Float)
    /// dst = RMSNorm(src) * weight, row by row.
    case rmsNorm(src: Activation, weight: GGUFTensorInfo, dst: Activation)
    /// dst = src · weightᵀ (weight is [src width, dst width] in ggml order).
    case matmul(weight: GGUFTensorInfo, src: Activation, dst: Activation)
    /// RMSNorm of each head of `buffer` in place, times `weight` (head_dim).
    case headNorm(buffer: Activation, weight: GGUFTensorInfo, heads: Int)
    /// RoPE over `heads` heads of `buffer` at the tokens' positions, with the table of
    /// `ForwardGraph.ropeSpecs[spec]`.
    case rope(buffer: Activation, heads: Int, spec: Int, kind: RopeKind)
    /// buffer += bias, row by row (bias: F32, the buffer's width).
    case addBias(buffer: Activation, bias: GGUFTensorInfo)
    case scale(buffer: Activation, factor: Float)
    /// Write k and v into the layer's KV cache at the tokens' slots and positions.
    case storeKV(layer: Int)
    /// attention = softmax(cap(scale · q·Kᵀ), causal and windowed) · V over the layer's cache,
    /// where cap(s) = softcap · tanh(s / softcap) when softcap > 0.
    case attention(layer: Int, window: Int, scale: Float, softcap: Float)
    /// gate = act(gate) * up.
    case gatedActivation(GatedActivation)
    /// residual += src.
    case addResidual(src: Activation)
}

/// The op sequence of an architecture, built once per model.
public struct ForwardGraph: Sendable {
    public let ops: [ForwardOp]
    /// The distinct RoPE tables the ops use; backends build each once a step.
    public let ropeSpecs: [RopeSpec]
    /// Applied to the rows whose logits are wanted: normed = RMSNorm(residual) * outputNorm, then
    /// logits = normed · outputᵀ.
    public let outputNorm: GGUFTensorInfo
    public let output: GGUFTensorInfo
    /// Logits become cap · tanh(logit / cap) (gemma2).
    public let finalSoftcap: Float?

    /// - Parameters:
    ///   - ropeFactors: RoPE frequency divisors of global layers (Llama 3.1's, phi3's short ones).
    ///   - longRopeFactors: phi3's divisors for sequences longer than its original context.
    public init(config c: ModelConfig, weights w: ModelWeights, ropeFactors: [Float]? = nil, longRopeFactors: [Float]? = nil) {
        var ops: [ForwardOp] = [.embed(scale: c.embeddingScale)]
        var specs: [RopeSpec] = []
        func specIndex(_ s: RopeSpec) -> Int {
            if let i = specs.firstIndex(of: s) { return i }
            specs.append(s)
            return specs.count - 1
        }
        for (i, l) in w.layers.enumerated() {
            let local = c.isSlidingWindowLayer(i)
            let spec = specIndex(RopeSpec(base: local ? c.ropeBaseLocal : c.ropeBase,
                                          freqScale: local ? c.ropeFreqScaleLocal : c.ropeFreqScale,
                                          attnFactor: c.ropeAttnFactor, factors: local ? nil : ropeFactors,
                                          longFactors: local ? nil : longRopeFactors, originalContext: c.ropeOriginalContext))
            ops.append(.rmsNorm(src: .residual, weight: l.attentionNorm, dst: .normed))
            for (weight, bias, dst) in [(l.q, l.qBias, Activation.q), (l.k, l.kBias, .k), (l.v, l.vBias, .v)] {
                ops.append(.matmul(weight: weight, src: .normed, dst: dst))
                if let bias { ops.append(.addBias(buffer: dst, bias: bias)) }
            }
            if let qn = l.qNorm, let kn = l.kNorm {
                ops.append(.headNorm(buffer: .q, weight: qn, heads: c.headCount))
                ops.append(.headNorm(buffer: .k, weight: kn, heads: c.kvHeadCount))
            }
            ops.append(.rope(buffer: .q, heads: c.headCount, spec: spec, kind: c.ropeKind))
            ops.append(.rope(buffer: .k, heads: c.kvHeadCount, spec: spec, kind: c.ropeKind))
            if let s = c.queryScale { ops.append(.scale(buffer: .q, factor: s)) }
            ops.append(.storeKV(layer: i))
            ops.append(.attention(layer: i, window: local ? c.slidingWindow : 0, scale: c.attentionScale,
                                  softcap: c.attentionSoftcap))
            ops.append(.matmul(weight: l.output, src: .attention, dst: .projection))
            if let bias = l.outputBias { ops.append(.addBias(buffer: .projection, bias: bias)) }
            if let pn = l.postAttentionNorm {
                ops.append(.rmsNorm(src: .projection, weight: pn, dst: .projection))
            }
            ops.append(.addResidual(src: .projection))
            ops.append(.rmsNorm(src: .residual, weight: l.ffnNorm, dst: .normed))
            ops.append(.matmul(weight: l.gate, src: .normed, dst: .gate))
            if let bias = l.gateBias { ops.append(.addBias(buffer: .gate, bias: bias)) }
            ops.append(.matmul(weight: l.up, src: .normed, dst: .up))
            if let bias = l.upBias { ops.append(.addBias(buffer: .up, bias: bias)) }
            ops.append(.gatedActivation(c.activation))
            ops.append(.matmul(weight: l.down, src: .gate, dst: .projection))
            if let bias = l.downBias { ops.append(.addBias(buffer: .projection, bias: bias)) }
            if let pn = l.postFFNNorm {
                ops.append(.rmsNorm(src: .projection, weight: pn, dst: .projection))
            }
            ops.append(.addResidual(src: .projection))
        }
        self.ops = ops
        ropeSpecs = specs
        outputNorm = w.outputNorm
        output = w.output
        finalSoftcap = c.finalSoftcap
    }
}
