import Foundation

/// What a RoPE cos/sin table depends on besides the positions, as ggml's `rope_ext` takes it:
/// the frequency base, the linear frequency scale (1 / `rope.scaling.factor`), the magnitude
/// factor (`rope.scaling.attn_factor`) and per-dimension frequency divisors (Llama 3.1's
/// `rope_freqs`). Backends build one table per spec a step and apply it to every layer using it.
public struct RopeSpec: Sendable, Hashable {
    public var base: Float
    public var freqScale: Float
    public var attnFactor: Float
    /// head_dim / 2 divisors of each pair's frequency, or nil for none.
    public var factors: [Float]?
    /// Divisors used instead when a sequence may be longer than `originalContext` (phi3's
    /// LongRoPE: llama.cpp picks them by the context per sequence).
    public var longFactors: [Float]?
    public var originalContext: Int

    public init(base: Float, freqScale: Float = 1, attnFactor: Float = 1, factors: [Float]? = nil,
                longFactors: [Float]? = nil, originalContext: Int = 0) {
        self.base = base
        self.freqScale = freqScale
        self.attnFactor = attnFactor
        self.factors = factors
        self.longFactors = longFactors
        self.originalContext = originalContext
    }

    /// The divisors a backend whose sequences hold up to `context` positions uses.
    public func factors(forContext context: Int) -> [Float]? {
        if let longFactors, context > originalContext { return longFactors }
        return factors
    }

    /// Fills `table` with `headDim` floats per position, (cos, sin) per pair, exactly as ggml's
    /// CPU rope cache: theta advances by repeated multiplication, is divided by the pair's factor,
    /// scaled by `freqScale`, and cos and sin are multiplied by `attnFactor`.
    public func fill(_ table: UnsafeMutablePointer<Float>, positions: UnsafePointer<Int32>, count: Int, headDim: Int,
                     context: Int) {
        let factors = factors(forContext: context)
        let thetaScale = powf(base, -2.0 / Float(headDim))
        for t in 0 ..< count {
            var theta = Float(positions[t])
            let row = table + t * headDim
            for i in stride(from: 0, to: headDim, by: 2) {
                let ff = factors?[i / 2] ?? 1
                let angle = freqScale * (theta / ff)
                row[i] = cosf(angle) * attnFactor
                row[i + 1] = sinf(angle) * attnFactor
                theta *= thetaScale
            }
        }
    }
}
