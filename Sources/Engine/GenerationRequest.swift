import GenerationTypes

/// One sequence to generate, as the continuous-batching `Generator` takes it.
public struct GenerationRequest: Sendable {
    public var id: String
    public var promptIDs: [Int32]
    public var parameters: Sampling
    public var maxTokens: Int
    public var stop: [String]
    /// Keep decoding through end-of-generation tokens (benchmarks).
    public var ignoreEndOfGeneration: Bool
    /// Monotonic time (`monotonicSeconds()`) after which the request ends with reason `deadline`.
    public var deadline: Double?

    public init(id: String, promptIDs: [Int32], parameters: Sampling = .greedy, maxTokens: Int,
                stop: [String] = [], ignoreEndOfGeneration: Bool = false, deadline: Double? = nil) {
        self.id = id
        self.promptIDs = promptIDs
        self.parameters = parameters
        self.maxTokens = maxTokens
        self.stop = stop
        self.ignoreEndOfGeneration = ignoreEndOfGeneration
        self.deadline = deadline
    }
}

/// Where the time of one request went, in seconds.
public struct GenerationTimings: Sendable, Equatable {
    /// Submitted until given a slot.
    public var queued: Double = 0
    /// Given a slot until the prompt was processed.
    public var prefill: Double = 0
    /// Submitted until the first token.
    public var firstToken: Double = 0
    /// First token until the end.
    public var decode: Double = 0
    /// Submitted until the end.
    public var total: Double = 0

    public init() {}
}

/// What the generator reports after a step.
public enum GeneratorEvent: Sendable {
    /// A generated token and the text that became final with it (empty while a UTF-8 sequence
    /// or a possible stop string is incomplete).
    case token(id: String, index: Int, token: Int32, text: String)
    /// The request ended; `tail` is final text not sent with a token (held back for stop strings).
    /// `cachedTokens` of the `promptTokens` came from the slot's cache (prefix reuse), not computed.
    case done(id: String, reason: FinishReason, promptTokens: Int, completionTokens: Int, tail: String,
              timings: GenerationTimings, cachedTokens: Int = 0)
}
