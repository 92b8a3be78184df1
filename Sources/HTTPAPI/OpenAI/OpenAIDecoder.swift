import GenerationTypes
import WorkerProtocol

/// Decodes the JSON bodies of `POST /v1/completions` and `POST /v1/chat/completions` into an
/// ``InferenceRequest``, or throws the ``APIError`` to answer: every error names the offending `param`.
///
/// Errors: not a JSON object → 400 `invalid_json`; a known member of the wrong JSON type → 400
/// `invalid_type` ("temperature must be a number"); out of range → 400 `invalid_value`; a required member
/// absent → 400 `missing_parameter`; an OpenAI feature this server lacks (batch prompts, `n` > 1, tools,
/// logprobs, penalties other than 0, `echo`, …) → 400 `unsupported_parameter`; `max_tokens` over the limit →
/// 400 `max_tokens_exceeded`; an unknown `model` → 404 `model_not_found`. Unknown members are ignored, and a
/// member set to null counts as absent.
///
/// Sampling defaults are OpenAI's, not the worker's: temperature 1, top_p 1, and the llama.cpp extensions
/// `top_k` (0, off), `min_p` (0, off) and `repeat_penalty` (1, off, over `repeat_last_n` 64 tokens; -1 means
/// the whole context). Temperature 0 is greedy. A negative `seed` is taken by its bit pattern. `ignore_eos`
/// (llama.cpp's and vLLM's extension, for benchmarks) generates through end-of-sequence up to `max_tokens`.
public enum OpenAIDecoder {
    /// Most stop strings a request may give (OpenAI allows 4); the worker's limit too (`StopMatcher.maxStrings`).
    public static let maxStopStrings = 16
    /// Most UTF-8 bytes in one stop string; the worker's limit too (`StopMatcher.maxBytes`).
    public static let maxStopBytes = 256
    /// `repeat_last_n` for -1 ("the whole context"): a window longer than any context.
    public static let wholeContextWindow = Int(Int32.max)

    /// A `/v1/completions` body.
    public static func completion(_ body: [UInt8], limits: APILimits) throws(APIError) -> InferenceRequest {
        let fields = try object(body)
        let model = try model(fields, limits: limits)
        let prompt = try completionPrompt(fields)
        if let suffix = try fields.string("suffix"), !suffix.isEmpty { throw .unsupported(param: "suffix") }
        try requireOne(fields, "best_of")
        if try fields.bool("echo") == true {
            throw .unsupported(param: "echo", "echo is not supported by this server; only echo=false is")
        }
        return try request(.completion, fields, model: model, prompt: prompt, limits: limits)
    }

    /// A `/v1/chat/completions` body.
    public static func chat(_ body: [UInt8], limits: APILimits) throws(APIError) -> InferenceRequest {
        let fields = try object(body)
        let model = try model(fields, limits: limits)
        let prompt = try chatPrompt(fields)
        if let top = try fields.integer("top_logprobs"), top != .signed(0) {
            throw .unsupported(param: "top_logprobs")
        }
        for key in ["tools", "functions"] {
            guard let value = fields.value(key) else { continue }
            guard case .array(let list) = value else { throw .invalidType(param: key, expected: "an array") }
            if !list.isEmpty {
                throw .unsupported(param: key, "\(key) (tool and function calling) is not supported by this server")
            }
        }
        for key in ["tool_choice", "function_call"] {
            guard let value = fields.value(key) else { continue }
            switch value {
            case .string("none"), .string("auto"): continue
            case .string, .object:
                throw .unsupported(param: key, "\(key) (tool and function calling) is not supported by this server")
            default: throw .invalidType(param: key, expected: "a string or an object")
            }
        }
        if let format = fields.value("response_format") {
            guard case .object(let members) = format else {
                throw .invalidType(param: "response_format", expected: "an object")
            }
            let formatFields = OpenAIFields(members, path: "response_format")
            guard let type = try formatFields.string("type") else { throw .missingParameter("response_format.type") }
            guard type == "text" else {
                throw .unsupported(
                    param: "response_format",
                    "response_format of type '\(type)' is not supported by this server; only 'text' is")
            }
        }
        return try request(.chat, fields, model: model, prompt: prompt, limits: limits)
    }

    /// The body as a JSON object.
    static func object(_ body: [UInt8]) throws(APIError) -> OpenAIFields {
        let value: OpenAIJSONValue
        do {
            value = try OpenAIJSONParser.parse(body)
        } catch {
            throw .invalidJSON(error.description)
        }
        guard case .object(let members) = value else {
            throw .invalidJSON("the body must be a JSON object, not \(value.typeName)")
        }
        return OpenAIFields(members)
    }

    /// `model`, or the served model when absent.
    static func model(_ fields: OpenAIFields, limits: APILimits) throws(APIError) -> String {
        guard let model = try fields.string("model") else { return limits.servedModel }
        guard limits.modelIDs.isEmpty || limits.modelIDs.contains(model) else {
            throw .modelNotFound(model, available: limits.modelIDs)
        }
        return model
    }

    /// Refuses `key` unless absent or 1 (`n`, `best_of`).
    static func requireOne(_ fields: OpenAIFields, _ key: String) throws(APIError) {
        guard let value = try fields.integer(key), value != .signed(1) else { return }
        if case .signed(let n) = value, n < 1 { throw .invalidValue(param: key, "\(key) must be at least 1") }
        if case .outOfRange(negative: true) = value { throw .invalidValue(param: key, "\(key) must be at least 1") }
        throw .unsupported(param: key, "\(key) other than 1 is not supported by this server")
    }

    /// The members both endpoints share, around `prompt`.
    static func request(
        _ kind: InferenceRequest.Kind, _ fields: OpenAIFields, model: String, prompt: Prompt, limits: APILimits
    ) throws(APIError) -> InferenceRequest {
        try requireOne(fields, "n")
        for key in ["frequency_penalty", "presence_penalty"] {
            let penalty = try fields.number(key, in: { (-2...2).contains($0) }, "between -2 and 2")
            if let penalty, penalty != 0 {
                throw .unsupported(
                    param: key, "\(key) is not supported by this server (only 0 is); try repeat_penalty")
            }
        }
        if let bias = fields.value("logit_bias") {
            guard case .object(let members) = bias else {
                throw .invalidType(param: "logit_bias", expected: "an object")
            }
            if !members.isEmpty { throw .unsupported(param: "logit_bias") }
        }
        if let logprobs = fields.value("logprobs") {
            switch logprobs {
            case .bool(false): break
            case .bool(true), .number: throw .unsupported(param: "logprobs")
            default: throw .invalidType(param: "logprobs", expected: "a boolean or an integer")
            }
        }

        let maxTokens = try maxTokens(kind, fields, limits: limits)
        let stop = try stop(fields)
        let stream = try fields.bool("stream") ?? false
        var includeUsage = false
        if let options = fields.value("stream_options") {
            guard case .object(let members) = options else {
                throw .invalidType(param: "stream_options", expected: "an object")
            }
            guard stream else {
                throw .invalidValue(param: "stream_options", "stream_options is only allowed when stream is true")
            }
            includeUsage = try OpenAIFields(members, path: "stream_options").bool("include_usage") ?? false
        }
        return InferenceRequest(
            kind: kind, model: model, prompt: prompt, sampling: try sampling(fields), maxTokens: maxTokens, stop: stop,
            stream: stream, includeUsage: includeUsage, ignoreEos: try fields.bool("ignore_eos") ?? false)
    }

    /// `max_completion_tokens` (chat) or else `max_tokens`, or the default.
    static func maxTokens(
        _ kind: InferenceRequest.Kind, _ fields: OpenAIFields, limits: APILimits
    ) throws(APIError) -> Int {
        var result: Int?
        let keys = kind == .chat ? ["max_tokens", "max_completion_tokens"] : ["max_tokens"]
        for key in keys {
            guard let integer = try fields.integer(key) else { continue }
            switch integer {
            case .signed(let n) where n < 1:
                throw .invalidValue(param: key, "\(key) must be at least 1")
            case .outOfRange(negative: true):
                throw .invalidValue(param: key, "\(key) must be at least 1")
            case .signed(let n) where n <= Int64(limits.maxTokens):
                result = Int(n)
            case .signed(let n):
                throw .maxTokensExceeded(param: key, requested: String(n), limit: limits.maxTokens)
            case .unsigned(let n):
                throw .maxTokensExceeded(param: key, requested: String(n), limit: limits.maxTokens)
            case .outOfRange, .fractional:
                throw .maxTokensExceeded(param: key, requested: "too large", limit: limits.maxTokens)
            }
        }
        return result ?? max(1, min(limits.defaultMaxTokens, limits.maxTokens))
    }

    /// `stop`: a string or up to ``maxStopStrings`` strings of at most ``maxStopBytes`` bytes each; empty strings
    /// are dropped.
    static func stop(_ fields: OpenAIFields) throws(APIError) -> [String] {
        guard let value = fields.value("stop") else { return [] }
        switch value {
        case .string(let text):
            try checkStopLength(text, name: "stop")
            return text.isEmpty ? [] : [text]
        case .array(let elements):
            guard elements.count <= maxStopStrings else {
                throw .invalidValue(param: "stop", "stop may hold at most \(maxStopStrings) strings, "
                    + "got \(elements.count)")
            }
            var strings: [String] = []
            for (i, element) in elements.enumerated() {
                guard case .string(let text) = element else {
                    throw .invalidType(param: "stop[\(i)]", expected: "a string")
                }
                try checkStopLength(text, name: "stop[\(i)]")
                if !text.isEmpty { strings.append(text) }
            }
            return strings
        default:
            throw .invalidType(param: "stop", expected: "a string or an array of strings")
        }
    }

    /// A stop string longer than ``maxStopBytes`` is refused with param `stop`.
    private static func checkStopLength(_ text: String, name: String) throws(APIError) {
        let bytes = text.utf8.count
        guard bytes <= maxStopBytes else {
            throw .invalidValue(param: "stop", "\(name) is \(bytes) bytes of UTF-8; a stop string may have at most "
                + "\(maxStopBytes)")
        }
    }

    /// The sampling members, with OpenAI's defaults.
    static func sampling(_ fields: OpenAIFields) throws(APIError) -> Sampling {
        let temperature = try fields.number("temperature", in: { (0...2).contains($0) }, "between 0 and 2") ?? 1
        let topP = try fields.number("top_p", in: { Float($0) > 0 && $0 <= 1 }, "greater than 0 and at most 1") ?? 1
        let minP = try fields.number("min_p", in: { (0...1).contains($0) }, "between 0 and 1") ?? 0
        let isPositiveFloat: (Double) -> Bool = { Float($0) > 0 && Float($0).isFinite }
        let repeatPenalty = try fields.number("repeat_penalty", in: isPositiveFloat, "greater than 0 (1 is off)") ?? 1
        let topK = try fields.int("top_k", in: 0...Int64(Int32.max), "an integer of 0 (off) or more") ?? 0
        var repeatLastN =
            try fields.int("repeat_last_n", in: -1...Int64(Int32.max), "-1 (the whole context) or more") ?? 64
        if repeatLastN == -1 { repeatLastN = wholeContextWindow }
        var seed: UInt64?
        switch try fields.integer("seed") {
        case nil: seed = nil
        case .signed(let value): seed = UInt64(bitPattern: value)
        case .unsigned(let value): seed = value
        case .outOfRange, .fractional:
            throw .invalidValue(param: "seed", "seed must be a 64-bit integer")
        }
        return Sampling(
            temperature: Float(temperature), topK: topK, topP: Float(topP), minP: Float(minP),
            repeatPenalty: Float(repeatPenalty), repeatLastN: repeatLastN, seed: seed)
    }
}
