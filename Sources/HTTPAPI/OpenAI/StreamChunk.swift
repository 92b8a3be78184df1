import GenerationTypes
import WorkerProtocol

/// One server-sent event of a streamed response, for either endpoint:
/// - `/v1/completions`: `{"id":…,"object":"text_completion","created":…,"model":…,"choices":[{"text":…,
///   "index":0,"logprobs":null,"finish_reason":null}]}`;
/// - `/v1/chat/completions`: `{"id":…,"object":"chat.completion.chunk","created":…,"model":…,"choices":[{"index":0,
///   "delta":{…},"logprobs":null,"finish_reason":null}]}`.
///
/// A stream is (chat only) a start chunk (delta `{"role":"assistant","content":""}`), content chunks, a finish
/// chunk (empty text or delta `{}`, and the finish reason), with `stream_options.include_usage` a usage chunk (no
/// choices), then ``ServerSentEvents/done``.
public struct StreamChunk: Sendable, Equatable {
    /// What a chunk carries.
    public enum Body: Sendable, Equatable {
        /// The chat stream's first chunk: delta `{"role":"assistant","content":""}` (a completion stream has none).
        case start
        /// A piece of the reply: `"text":…` or delta `{"content":…}`.
        case content(String)
        /// The end: empty text or delta `{}`, and the finish reason.
        case finish(FinishReason)
        /// The usage-only chunk: `choices` empty, `usage` set.
        case usage(Usage)
    }

    /// Which endpoint's shape.
    public var kind: InferenceRequest.Kind
    /// The same `cmpl-…` / `chatcmpl-…` id on every chunk of a response.
    public var id: String
    /// Unix seconds, the same on every chunk.
    public var created: Int
    /// The model, as the request named it.
    public var model: String
    /// What this chunk carries.
    public var body: Body
    /// Whether the request set `stream_options.include_usage`: then every chunk but the usage one has
    /// `"usage":null`, as OpenAI's do.
    public var includeUsage: Bool

    /// A chunk of response `id`.
    public init(_ kind: InferenceRequest.Kind, id: String, created: Int, model: String, body: Body,
                includeUsage: Bool = false) {
        self.kind = kind
        self.id = id
        self.created = created
        self.model = model
        self.body = body
        self.includeUsage = includeUsage
    }

    /// The JSON of the event (frame it with ``ServerSentEvents/event(_:)``).
    public func json() -> [UInt8] {
        var members: [OpenAIJSONOutput.Member] = [
            .init(name: "id", value: .string(id)),
            .init(name: "object", value: .string(kind == .chat ? "chat.completion.chunk" : "text_completion")),
            .init(name: "created", value: .int(created)),
            .init(name: "model", value: .string(model)),
        ]
        let choices: OpenAIJSONOutput
        switch body {
        case .start: choices = choice(text: "", delta: ["role": .string("assistant"), "content": .string("")], nil)
        case .content(let text): choices = choice(text: text, delta: ["content": .string(text)], nil)
        case .finish(let reason): choices = choice(text: "", delta: [:], reason)
        case .usage: choices = .array([])
        }
        members.append(.init(name: "choices", value: choices))
        if case .usage(let usage) = body {
            members.append(.init(name: "usage", value: .usage(usage)))
        } else if includeUsage {
            members.append(.init(name: "usage", value: .null))
        }
        return OpenAIJSONOutput.object(members).bytes
    }

    /// The one choice: `text` for a completion, `delta` for a chat.
    private func choice(text: String, delta: KeyValuePairs<String, OpenAIJSONOutput>, _ reason: FinishReason?)
        -> OpenAIJSONOutput
    {
        let finish = OpenAIJSONOutput.optionalString(reason?.openAIFinishReason)
        if kind == .chat {
            return .array([.object(["index": .int(0), "delta": .object(delta), "logprobs": .null, "finish_reason": finish])])
        }
        return .array([.object(["text": .string(text), "index": .int(0), "logprobs": .null, "finish_reason": finish])])
    }
}
