import GenerationTypes

/// A request to generate a completion, sent by the supervisor in a `generate` message.
///
/// On the wire the prompt is exactly one of the fields `prompt_tokens`, `prompt` or `messages`;
/// `sampling`, `stop`, `ignore_eos` and `add_special` may be left out and take their defaults.
public struct GenerateRequest: Sendable, Equatable, Codable {
    /// The request id chosen by the supervisor, unique among the requests in flight on a worker.
    public var id: String
    /// What to continue.
    public var prompt: Prompt
    /// How to pick each token.
    public var sampling: Sampling
    /// The most tokens to generate.
    public var maxTokens: Int
    /// Strings that end generation when produced; the stop string is not part of the output.
    public var stop: [String]
    /// Keep generating past the end-of-sequence token (benchmarks).
    public var ignoreEos: Bool
    /// Milliseconds from receipt after which the worker ends the request with reason `deadline`.
    public var deadlineMs: Int?
    /// Whether a text prompt is tokenized with the model's special tokens (BOS) added.
    public var addSpecial: Bool

    /// A request; every argument after `prompt` has the wire default.
    public init(
        id: String, prompt: Prompt, sampling: Sampling = Sampling(), maxTokens: Int, stop: [String] = [],
        ignoreEos: Bool = false, deadlineMs: Int? = nil, addSpecial: Bool = true
    ) {
        self.id = id
        self.prompt = prompt
        self.sampling = sampling
        self.maxTokens = maxTokens
        self.stop = stop
        self.ignoreEos = ignoreEos
        self.deadlineMs = deadlineMs
        self.addSpecial = addSpecial
    }

    enum CodingKeys: String, CodingKey {
        case id
        case promptTokens = "prompt_tokens"
        case prompt
        case messages
        case sampling
        case maxTokens = "max_tokens"
        case stop
        case ignoreEos = "ignore_eos"
        case deadlineMs = "deadline_ms"
        case addSpecial = "add_special"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        let forms = [CodingKeys.promptTokens, .prompt, .messages].filter { c.contains($0) }
        guard forms.count == 1 else {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(
                    codingPath: c.codingPath,
                    debugDescription: "expected exactly one of prompt_tokens, prompt, messages; found "
                        + (forms.isEmpty ? "none" : forms.map(\.stringValue).joined(separator: ", "))))
        }
        switch forms[0] {
        case .promptTokens: prompt = .tokens(try c.decodeNumbers(Int32.self, forKey: .promptTokens))
        case .prompt: prompt = .text(try c.decode(String.self, forKey: .prompt))
        default: prompt = .chat(try c.decode([ChatTurn].self, forKey: .messages))
        }
        sampling = try c.decodeIfPresent(Sampling.self, forKey: .sampling) ?? Sampling()
        maxTokens = try c.decodeNumber(Int.self, forKey: .maxTokens)
        stop = try c.decodeIfPresent([String].self, forKey: .stop) ?? []
        ignoreEos = try c.decodeIfPresent(Bool.self, forKey: .ignoreEos) ?? false
        deadlineMs = try c.decodeNumberIfPresent(Int.self, forKey: .deadlineMs)
        addSpecial = try c.decodeIfPresent(Bool.self, forKey: .addSpecial) ?? true
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        switch prompt {
        case .tokens(let tokens): try c.encode(tokens, forKey: .promptTokens)
        case .text(let text): try c.encode(text, forKey: .prompt)
        case .chat(let turns): try c.encode(turns, forKey: .messages)
        }
        try c.encode(sampling, forKey: .sampling)
        try c.encode(maxTokens, forKey: .maxTokens)
        try c.encode(stop, forKey: .stop)
        try c.encode(ignoreEos, forKey: .ignoreEos)
        try c.encodeIfPresent(deadlineMs, forKey: .deadlineMs)
        try c.encode(addSpecial, forKey: .addSpecial)
    }
}

/// The prompt of a ``GenerateRequest``.
public enum Prompt: Sendable, Equatable {
    /// Token ids, fed to the model as they are (`prompt_tokens`).
    case tokens([Int32])
    /// Text, tokenized by the worker (`prompt`).
    case text(String)
    /// A conversation, rendered by the worker with the model's chat template (`messages`).
    case chat([ChatTurn])
}

/// One turn of a chat prompt.
public struct ChatTurn: Sendable, Equatable, Codable {
    /// `system`, `user`, `assistant` or another role the model's template knows.
    public var role: String
    /// The turn's text.
    public var content: String

    /// A turn by `role` saying `content`.
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    enum CodingKeys: String, CodingKey {
        case role
        case content
    }
}
