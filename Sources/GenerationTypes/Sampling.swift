/// How the next token is chosen: the one sampling type, from the HTTP decoder through the wire to the engine's
/// sampler. On the wire every field may be left out and takes the default here. A temperature of 0 is greedy.
public struct Sampling: Sendable, Equatable, Codable {
    /// Softmax temperature; 0 picks the most likely token (greedy).
    public var temperature: Float
    /// Keep only the `topK` most likely tokens; 0 or less keeps all.
    public var topK: Int
    /// Keep the smallest set of tokens whose probabilities sum to at least `topP`; 1 keeps all.
    public var topP: Float
    /// Drop tokens less likely than `minP` times the most likely one; 0 keeps all.
    public var minP: Float
    /// Divide the logits of recently seen tokens by this (multiply when negative); 1 is off.
    public var repeatPenalty: Float
    /// How many recent tokens the repeat penalty looks at.
    public var repeatLastN: Int
    /// Seed of the request's random generator; `nil` lets the worker choose one.
    public var seed: UInt64?

    /// Parameters, each defaulting to the wire default.
    public init(
        temperature: Float = 0.8, topK: Int = 40, topP: Float = 0.95, minP: Float = 0.05,
        repeatPenalty: Float = 1.0, repeatLastN: Int = 64, seed: UInt64? = nil
    ) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repeatPenalty = repeatPenalty
        self.repeatLastN = repeatLastN
        self.seed = seed
    }

    public static let greedy = Sampling(temperature: 0, topK: 1, topP: 1, minP: 0)

    public var isGreedy: Bool { temperature <= 0 || topK == 1 }

    /// A description of the first parameter out of range, or nil when all are usable.
    public var problem: String? {
        if !temperature.isFinite || temperature > 100 { return "temperature must be between 0 and 100" }
        if topK < 0 { return "top_k must be 0 or more" }
        if !(topP > 0 && topP <= 1) { return "top_p must be in (0, 1]" }
        if !(minP >= 0 && minP <= 1) { return "min_p must be in [0, 1]" }
        if !(repeatPenalty > 0 && repeatPenalty.isFinite) { return "repeat_penalty must be positive" }
        if repeatLastN < 0 { return "repeat_last_n must be 0 or more" }
        return nil
    }

    public enum CodingKeys: String, CodingKey {
        case temperature
        case topK = "top_k"
        case topP = "top_p"
        case minP = "min_p"
        case repeatPenalty = "repeat_penalty"
        case repeatLastN = "repeat_last_n"
        case seed
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Sampling()
        temperature = try c.decodeNumberIfPresent(Float.self, forKey: .temperature) ?? d.temperature
        topK = try c.decodeNumberIfPresent(Int.self, forKey: .topK) ?? d.topK
        topP = try c.decodeNumberIfPresent(Float.self, forKey: .topP) ?? d.topP
        minP = try c.decodeNumberIfPresent(Float.self, forKey: .minP) ?? d.minP
        repeatPenalty = try c.decodeNumberIfPresent(Float.self, forKey: .repeatPenalty) ?? d.repeatPenalty
        repeatLastN = try c.decodeNumberIfPresent(Int.self, forKey: .repeatLastN) ?? d.repeatLastN
        seed = try c.decodeNumberIfPresent(UInt64.self, forKey: .seed)
    }
}
