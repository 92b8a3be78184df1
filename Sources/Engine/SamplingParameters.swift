/// How the next token is chosen. A temperature of 0 (or below) is greedy.
public struct SamplingParameters: Sendable, Equatable, Codable {
    public var temperature: Float
    /// Keep the k most likely tokens (0: all).
    public var topK: Int
    /// Keep the smallest set of tokens whose probability adds up to p (1: all).
    public var topP: Float
    /// Drop tokens less likely than min-p times the most likely one (0: none).
    public var minP: Float
    /// Divide positive logits (multiply negative ones) of recently seen tokens by this (1: off).
    public var repetitionPenalty: Float
    /// How many recent tokens the repetition penalty looks at.
    public var repetitionWindow: Int
    /// Seed of the sampler's random numbers; nil picks one.
    public var seed: UInt64?

    public init(temperature: Float = 0.8, topK: Int = 40, topP: Float = 0.95, minP: Float = 0.05,
                repetitionPenalty: Float = 1.0, repetitionWindow: Int = 64, seed: UInt64? = nil) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.repetitionWindow = repetitionWindow
        self.seed = seed
    }

    public static let greedy = SamplingParameters(temperature: 0, topK: 1, topP: 1, minP: 0)

    public var isGreedy: Bool { temperature <= 0 || topK == 1 }

    /// A description of the first parameter out of range, or nil when all are usable.
    public var problem: String? {
        if !temperature.isFinite || temperature > 100 { return "temperature must be between 0 and 100" }
        if topK < 0 { return "top_k must be 0 or more" }
        if !(topP > 0 && topP <= 1) { return "top_p must be in (0, 1]" }
        if !(minP >= 0 && minP <= 1) { return "min_p must be in [0, 1]" }
        if !(repetitionPenalty > 0 && repetitionPenalty.isFinite) { return "repetition_penalty must be positive" }
        if repetitionWindow < 0 { return "the repetition window must be 0 or more" }
        return nil
    }
}
