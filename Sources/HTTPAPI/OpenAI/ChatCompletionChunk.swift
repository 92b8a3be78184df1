import WorkerProtocol

/// One server-sent event of a streaming `/v1/chat/completions` response: `{"id":…,
/// "object":"chat.completion.chunk","created":…,"model":…,"choices":[{"index":0,"delta":{…},"logprobs":null,
/// "finish_reason":null}]}`.
///
/// A stream is a start chunk (delta `{"role":"assistant","content":""}`), content chunks (delta
/// `{"content":…}`), a finish chunk (delta `{}` and the finish reason), with `stream_options.include_usage` a
/// usage chunk (no choices), then ``ServerSentEvents/done``.
public struct ChatCompletionChunk: Sendable, Equatable {
    /// What a chunk carries.
    public enum Body: Sendable, Equatable {
        /// The first chunk: delta `{"role":"assistant","content":""}`.
        case start
        /// A piece of the reply: delta `{"content":…}`.
        case content(String)
        /// The end: delta `{}` and the finish reason.
        case finish(FinishReason)
        /// The usage-only chunk: `choices` empty, `usage` set.
        case usage(Usage)
    }

    /// The same `chatcmpl-…` id on every chunk of a response.
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
    public init(id: String, created: Int, model: String, body: Body, includeUsage: Bool = false) {
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
            .init(name: "object", value: .string("chat.completion.chunk")),
            .init(name: "created", value: .int(created)),
            .init(name: "model", value: .string(model)),
        ]
        func choice(_ delta: OpenAIJSONOutput, _ reason: FinishReason?) -> OpenAIJSONOutput {
            .array([
                .object([
                    "index": .int(0),
                    "delta": delta,
                    "logprobs": .null,
                    "finish_reason": .optionalString(reason?.openAIFinishReason),
                ])
            ])
        }
        let choices: OpenAIJSONOutput
        switch body {
        case .start: choices = choice(.object(["role": .string("assistant"), "content": .string("")]), nil)
        case .content(let text): choices = choice(.object(["content": .string(text)]), nil)
        case .finish(let reason): choices = choice(.object([]), reason)
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
}
