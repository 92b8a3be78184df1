import GenerationTypes
import WorkerProtocol

/// A decoded `/v1/completions` or `/v1/chat/completions` request: what the server routes to a worker.
public struct InferenceRequest: Sendable, Equatable {
    /// Which endpoint the request came from, and so which response shapes it gets.
    public enum Kind: String, Sendable, Equatable {
        /// `POST /v1/completions`: `text_completion` responses.
        case completion
        /// `POST /v1/chat/completions`: `chat.completion` responses.
        case chat
    }

    /// The endpoint.
    public var kind: Kind
    /// The model, as named by the request or the served model when it named none.
    public var model: String
    /// Text or token ids (completions) or a conversation (chat).
    public var prompt: Prompt
    /// Sampling, with OpenAI's defaults for what the request left out (see ``OpenAIDecoder``).
    public var sampling: Sampling
    /// The most tokens to generate, at least 1.
    public var maxTokens: Int
    /// Up to 16 non-empty stop strings of at most 256 bytes each (`OpenAIDecoder.maxStopStrings`, `maxStopBytes`).
    public var stop: [String]
    /// Whether to answer with server-sent events.
    public var stream: Bool
    /// `stream_options.include_usage`: end the stream with a usage-only chunk (only with ``stream``).
    public var includeUsage: Bool
    /// `ignore_eos`: keep generating through end-of-sequence tokens until `maxTokens` or a stop string.
    public var ignoreEos: Bool

    /// A request with every field given. (`echo`, `n` and the other parameters the server does not
    /// support have no field: ``OpenAIDecoder`` refuses all but their default values.)
    public init(
        kind: Kind, model: String, prompt: Prompt, sampling: Sampling, maxTokens: Int, stop: [String] = [],
        stream: Bool = false, includeUsage: Bool = false, ignoreEos: Bool = false
    ) {
        self.kind = kind
        self.model = model
        self.prompt = prompt
        self.sampling = sampling
        self.maxTokens = maxTokens
        self.stop = stop
        self.stream = stream
        self.includeUsage = includeUsage
        self.ignoreEos = ignoreEos
    }

    /// The worker's `generate` request for this, with request id `id` and deadline `deadlineMs` from receipt.
    /// Text prompts get the model's special tokens (BOS) added; end-of-sequence is honoured unless ``ignoreEos``.
    public func generateRequest(id: String, deadlineMs: Int?) -> GenerateRequest {
        GenerateRequest(
            id: id, prompt: prompt, sampling: sampling, maxTokens: maxTokens, stop: stop, ignoreEos: ignoreEos,
            deadlineMs: deadlineMs, addSpecial: true)
    }
}
