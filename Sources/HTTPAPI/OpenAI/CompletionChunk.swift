import WorkerProtocol

/// One server-sent event of a streaming `/v1/completions` response: `{"id":…,"object":"text_completion",
/// "created":…,"model":…,"choices":[{"text":…,"index":0,"logprobs":null,"finish_reason":null}]}`.
///
/// A stream is text chunks, one finish chunk (empty text, the finish reason), with
/// `stream_options.include_usage` a usage chunk (no choices), then ``ServerSentEvents/done``.
public struct CompletionChunk: Sendable, Equatable {
    /// What a chunk carries.
    public enum Body: Sendable, Equatable {
        /// A piece of generated text; `finish_reason` null.
        case text(String)
        /// The end: empty text and the finish reason.
        case finish(FinishReason)
        /// The usage-only chunk: `choices` empty, `usage` set.
        case usage(Usage)
    }

    /// The same `cmpl-…` id on every chunk of a response.
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
            .init(name: "object", value: .string("text_completion")),
            .init(name: "created", value: .int(created)),
            .init(name: "model", value: .string(model)),
        ]
        func choice(_ text: String, _ reason: FinishReason?) -> OpenAIJSONOutput {
            .array([
                .object([
                    "text": .string(text),
                    "index": .int(0),
                    "logprobs": .null,
                    "finish_reason": .optionalString(reason?.openAIFinishReason),
                ])
            ])
        }
        switch body {
        case .text(let text): members.append(.init(name: "choices", value: choice(text, nil)))
        case .finish(let reason): members.append(.init(name: "choices", value: choice("", reason)))
        case .usage: members.append(.init(name: "choices", value: .array([])))
        }
        if case .usage(let usage) = body {
            members.append(.init(name: "usage", value: .usage(usage)))
        } else if includeUsage {
            members.append(.init(name: "usage", value: .null))
        }
        return OpenAIJSONOutput.object(members).bytes
    }
}
