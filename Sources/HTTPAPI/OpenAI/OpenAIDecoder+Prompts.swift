import WorkerProtocol

extension OpenAIDecoder {
    /// Token ids must be below this (they are `Int32` on the wire).
    static let tokenLimit: Int64 = 1 << 31

    /// `prompt` of a completion: a string, an array of one string, an array of token ids, or an array of one
    /// array of token ids. Several prompts (a batch) are refused as unsupported.
    static func completionPrompt(_ fields: OpenAIFields) throws(APIError) -> Prompt {
        guard let value = fields.value("prompt") else { throw .missingParameter("prompt") }
        switch value {
        case .string(let text):
            return .text(text)
        case .array(let elements):
            guard let first = elements.first else {
                throw .invalidValue(param: "prompt", "prompt must not be an empty array")
            }
            switch first {
            case .string:
                var texts: [String] = []
                for (i, element) in elements.enumerated() {
                    guard case .string(let text) = element else {
                        throw .invalidType(param: "prompt[\(i)]", expected: "a string")
                    }
                    texts.append(text)
                }
                guard texts.count == 1 else { throw batchPrompts() }
                return .text(texts[0])
            case .number:
                return .tokens(try tokens(elements, path: "prompt"))
            case .array(let inner):
                for (i, element) in elements.enumerated() {
                    guard case .array = element else {
                        throw .invalidType(param: "prompt[\(i)]", expected: "an array of token ids")
                    }
                }
                guard elements.count == 1 else { throw batchPrompts() }
                guard !inner.isEmpty else {
                    throw .invalidValue(param: "prompt[0]", "prompt[0] must not be an empty array")
                }
                return .tokens(try tokens(inner, path: "prompt[0]"))
            default:
                throw .invalidType(param: "prompt[0]", expected: "a string, a token id or an array of token ids")
            }
        default:
            throw .invalidType(param: "prompt", expected: "a string, an array of strings or an array of token ids")
        }
    }

    private static func batchPrompts() -> APIError {
        .unsupported(
            param: "prompt", "several prompts in one request (batch) are not supported; send one request per prompt")
    }

    /// `elements` as token ids, each in 0..<2^31; errors name `path[i]`.
    private static func tokens(_ elements: [OpenAIJSONValue], path: String) throws(APIError) -> [Int32] {
        var tokens: [Int32] = []
        tokens.reserveCapacity(elements.count)
        for (i, element) in elements.enumerated() {
            let param = "\(path)[\(i)]"
            guard case .number = element else { throw .invalidType(param: param, expected: "an integer token id") }
            let integer = try OpenAIFields.integer(element, param: param)
            guard case .signed(let id) = integer, id >= 0, id < tokenLimit else {
                throw .invalidValue(param: param, "\(param) must be a token id between 0 and \(tokenLimit - 1)")
            }
            tokens.append(Int32(id))
        }
        return tokens
    }

    /// `messages` of a chat completion, as worker chat turns: `developer` becomes `system`, content parts of
    /// type `text` are concatenated (without separator). Tool and function messages, tool calls, and content
    /// parts other than text are refused as unsupported.
    static func chatPrompt(_ fields: OpenAIFields) throws(APIError) -> Prompt {
        guard let value = fields.value("messages") else { throw .missingParameter("messages") }
        guard case .array(let messages) = value else {
            throw .invalidType(param: "messages", expected: "an array of messages")
        }
        guard !messages.isEmpty else {
            throw .invalidValue(param: "messages", "messages must contain at least one message")
        }
        var turns: [ChatTurn] = []
        for (i, message) in messages.enumerated() {
            turns.append(try turn(message, path: "messages[\(i)]"))
        }
        return .chat(turns)
    }

    private static func turn(_ message: OpenAIJSONValue, path: String) throws(APIError) -> ChatTurn {
        guard case .object(let members) = message else { throw .invalidType(param: path, expected: "an object") }
        let fields = OpenAIFields(members, path: path)
        guard let role = try fields.string("role") else { throw .missingParameter(fields.name("role")) }
        let mapped: String
        switch role {
        case "system", "user", "assistant": mapped = role
        case "developer": mapped = "system"
        case "tool", "function":
            throw .unsupported(
                param: fields.name("role"),
                "messages with role '\(role)' are not supported: this server does no tool or function calling")
        default:
            throw .invalidValue(
                param: fields.name("role"),
                "\(fields.name("role")) must be one of 'system', 'developer', 'user', 'assistant' (got '\(role)')")
        }
        for key in ["tool_calls", "function_call"] {
            guard let calls = fields.value(key) else { continue }
            if case .array(let list) = calls, list.isEmpty { continue }
            throw .unsupported(param: fields.name(key), "tool and function calls are not supported by this server")
        }
        guard let content = fields.value("content") else { throw .missingParameter(fields.name("content")) }
        switch content {
        case .string(let text):
            return ChatTurn(role: mapped, content: text)
        case .array(let parts):
            var text = ""
            for (j, part) in parts.enumerated() {
                text += try textPart(part, path: "\(path).content[\(j)]")
            }
            return ChatTurn(role: mapped, content: text)
        default:
            throw .invalidType(param: fields.name("content"), expected: "a string or an array of content parts")
        }
    }

    private static func textPart(_ part: OpenAIJSONValue, path: String) throws(APIError) -> String {
        guard case .object(let members) = part else { throw .invalidType(param: path, expected: "an object") }
        let fields = OpenAIFields(members, path: path)
        guard let type = try fields.string("type") else { throw .missingParameter(fields.name("type")) }
        guard type == "text" else {
            throw .unsupported(
                param: fields.name("type"),
                "content parts of type '\(type)' are not supported by this server; only 'text' is")
        }
        guard let text = try fields.string("text") else { throw .missingParameter(fields.name("text")) }
        return text
    }
}
