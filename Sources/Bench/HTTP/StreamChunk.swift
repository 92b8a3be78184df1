import Foundation

/// The parts of a streamed completion or chat chunk the bench reads.
struct StreamChunk: Decodable {
    struct Choice: Decodable {
        struct Delta: Decodable {
            var content: String?
        }

        var text: String?
        var delta: Delta?
        var finishReason: String?

        enum CodingKeys: String, CodingKey {
            case text, delta
            case finishReason = "finish_reason"
        }
    }

    struct Usage: Decodable {
        var promptTokens: Int?
        var completionTokens: Int?

        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens"
            case completionTokens = "completion_tokens"
        }
    }

    struct ErrorBody: Decodable {
        var message: String?
        var code: String?
        var type: String?
    }

    var choices: [Choice]?
    var usage: Usage?
    var error: ErrorBody?

    /// The generated text the chunk carries (completions: `text`; chat: `delta.content`).
    var text: String {
        guard let choice = choices?.first else { return "" }
        return choice.text ?? choice.delta?.content ?? ""
    }
}

/// An error body outside a stream: `{"error":{"message":…,"code":…}}`.
struct ErrorEnvelope: Decodable {
    var error: StreamChunk.ErrorBody
}
