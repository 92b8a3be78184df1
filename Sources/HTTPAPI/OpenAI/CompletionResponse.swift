import GenerationTypes
import WorkerProtocol

/// The answer to a non-streaming `/v1/completions` request:
/// `{"id":"cmpl-…","object":"text_completion","created":…,"model":…,
/// "choices":[{"text":…,"index":0,"logprobs":null,"finish_reason":…}],"usage":{…}}`.
public struct CompletionResponse: Sendable, Equatable {
    /// `cmpl-…` (``OpenAIResponseID/completion()``).
    public var id: String
    /// Unix seconds.
    public var created: Int
    /// The model, as the request named it.
    public var model: String
    /// The generated text.
    public var text: String
    /// Why generation ended (see ``WorkerProtocol/FinishReason/openAIFinishReason``).
    public var finishReason: FinishReason
    /// Tokens in and out.
    public var usage: Usage

    /// A response; `id` and `created` default to fresh ones.
    public init(
        id: String = OpenAIResponseID.completion(), created: Int = OpenAIResponseID.now(), model: String, text: String,
        finishReason: FinishReason, usage: Usage
    ) {
        self.id = id
        self.created = created
        self.model = model
        self.text = text
        self.finishReason = finishReason
        self.usage = usage
    }

    /// The JSON body.
    public func json() -> [UInt8] {
        OpenAIJSONOutput.object([
            "id": .string(id),
            "object": .string("text_completion"),
            "created": .int(created),
            "model": .string(model),
            "choices": .array([
                .object([
                    "text": .string(text),
                    "index": .int(0),
                    "logprobs": .null,
                    "finish_reason": .string(finishReason.openAIFinishReason),
                ])
            ]),
            "usage": .usage(usage),
        ]).bytes
    }
}
