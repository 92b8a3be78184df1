/// What the API accepts, given to ``OpenAIDecoder``.
public struct APILimits: Sendable, Equatable {
    /// The largest `max_tokens` (or `max_completion_tokens`) a request may ask for.
    public var maxTokens: Int
    /// `max_tokens` when the request leaves it out (capped at ``maxTokens``).
    public var defaultMaxTokens: Int
    /// The accepted `model` values; the first is the served model, used when the request names none.
    /// An empty list accepts any `model` (and an absent one becomes "").
    public var modelIDs: [String]

    /// Limits of at most `maxTokens` per request, `defaultMaxTokens` when unspecified, serving `modelIDs`.
    public init(maxTokens: Int, defaultMaxTokens: Int = 256, modelIDs: [String]) {
        self.maxTokens = maxTokens
        self.defaultMaxTokens = defaultMaxTokens
        self.modelIDs = modelIDs
    }

    /// The model a request without `model` gets: the first of ``modelIDs``.
    public var servedModel: String { modelIDs.first ?? "" }
}
