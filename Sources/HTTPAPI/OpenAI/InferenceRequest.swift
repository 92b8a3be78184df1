import GenerationTypes
import WorkerProtocol

/// A decoded `/v1/completions` or `/v1/chat/completions` request: what the server routes to a worker.
///
/// What the worker is asked to do is the wire's own type, ``generation`` (a `GenerateRequest`), so a request is
/// built once by ``OpenAIDecoder`` and sent as it is; this type adds only what the HTTP side needs (the endpoint,
/// the model's name, streaming). Its fields read through: `request.maxTokens` is `request.generation.maxTokens`.
@dynamicMemberLookup
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
    /// What to generate: prompt, sampling (OpenAI's defaults for what the request left out, see
    /// ``OpenAIDecoder``), at least one token, up to 16 stop strings of at most 256 bytes
    /// (`OpenAIDecoder.maxStopStrings`, `maxStopBytes`) and `ignore_eos`. Its `id` is empty and its
    /// deadline unset until the request is routed (``generateRequest(id:deadlineMs:)``).
    public var generation: GenerateRequest
    /// Whether to answer with server-sent events.
    public var stream: Bool
    /// `stream_options.include_usage`: end the stream with a usage-only chunk (only with ``stream``).
    public var includeUsage: Bool

    /// A request with every field given. (`echo`, `n` and the other parameters the server does not
    /// support have no field: ``OpenAIDecoder`` refuses all but their default values.)
    public init(
        kind: Kind, model: String, prompt: Prompt, sampling: Sampling, maxTokens: Int, stop: [String] = [],
        stream: Bool = false, includeUsage: Bool = false, ignoreEos: Bool = false
    ) {
        self.kind = kind
        self.model = model
        self.generation = GenerateRequest(
            id: "", prompt: prompt, sampling: sampling, maxTokens: maxTokens, stop: stop, ignoreEos: ignoreEos,
            addSpecial: true)
        self.stream = stream
        self.includeUsage = includeUsage
    }

    /// A field of ``generation``.
    public subscript<Value>(dynamicMember field: WritableKeyPath<GenerateRequest, Value>) -> Value {
        get { generation[keyPath: field] }
        set { generation[keyPath: field] = newValue }
    }

    /// The worker's `generate` request for this, with request id `id` and deadline `deadlineMs` from receipt.
    /// Text prompts get the model's special tokens (BOS) added; end-of-sequence is honoured unless `ignoreEos`.
    public func generateRequest(id: String, deadlineMs: Int?) -> GenerateRequest {
        var request = generation
        request.id = id
        request.deadlineMs = deadlineMs
        return request
    }
}
