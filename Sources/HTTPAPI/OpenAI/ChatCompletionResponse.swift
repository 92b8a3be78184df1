import GenerationTypes
import WorkerProtocol

/// The answer to a non-streaming `/v1/chat/completions` request:
/// `{"id":"chatcmpl-…","object":"chat.completion","created":…,"model":…,"choices":[{"index":0,
/// "message":{"role":"assistant","content":…,"refusal":null},"logprobs":null,"finish_reason":…}],"usage":{…}}`.
public struct ChatCompletionResponse: Sendable, Equatable {
    /// `chatcmpl-…` (``OpenAIResponseID/chat()``).
    public var id: String
    /// Unix seconds.
    public var created: Int
    /// The model, as the request named it.
    public var model: String
    /// The assistant's reply.
    public var content: String
    /// Why generation ended (see ``WorkerProtocol/FinishReason/openAIFinishReason``).
    public var finishReason: FinishReason
    /// Tokens in (after templating) and out.
    public var usage: Usage

    /// A response; `id` and `created` default to fresh ones.
    public init(
        id: String = OpenAIResponseID.chat(), created: Int = OpenAIResponseID.now(), model: String, content: String,
        finishReason: FinishReason, usage: Usage
    ) {
        self.id = id
        self.created = created
        self.model = model
        self.content = content
        self.finishReason = finishReason
        self.usage = usage
    }

    /// The JSON body.
    public func json() -> [UInt8] {
        OpenAIJSONOutput.object([
            "id": .string(id),
            "object": .string("chat.completion"),
            "created": .int(created),
            "model": .string(model),
            "choices": .array([
                .object([
                    "index": .int(0),
                    "message": .object([
                        "role": .string("assistant"),
                        "content": .string(content),
                        "refusal": .null,
                    ]),
                    "logprobs": .null,
                    "finish_reason": .string(finishReason.openAIFinishReason),
                ])
            ]),
            "usage": .usage(usage),
        ]).bytes
    }
}
