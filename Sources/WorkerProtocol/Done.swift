import GenerationTypes

/// The end of a request; no more messages about its id follow.
public struct Done: Sendable, Equatable, Codable {
    /// The request id.
    public var id: String
    /// Why generation ended.
    public var reason: FinishReason
    /// Tokens consumed and produced.
    public var usage: Usage
    /// Where the time went.
    public var timings: Timings
    /// Final text no token message carried: what was held back while it might have begun a stop
    /// string, or an incomplete UTF-8 sequence, released when the request ended. Empty mostly.
    public var tail: String

    /// Request `id` ended for `reason`.
    public init(id: String, reason: FinishReason, usage: Usage, timings: Timings, tail: String = "") {
        self.id = id
        self.reason = reason
        self.usage = usage
        self.timings = timings
        self.tail = tail
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        reason = try c.decode(FinishReason.self, forKey: .reason)
        usage = try c.decode(Usage.self, forKey: .usage)
        timings = try c.decode(Timings.self, forKey: .timings)
        tail = try c.decodeIfPresent(String.self, forKey: .tail) ?? ""
    }

    enum CodingKeys: String, CodingKey {
        case id
        case reason
        case usage
        case timings
        case tail
    }
}

/// Tokens consumed and produced by a request.
public struct Usage: Sendable, Equatable, Codable {
    /// Tokens of the prompt, after templating and tokenization.
    public var promptTokens: Int
    /// Tokens generated.
    public var completionTokens: Int
    /// Tokens of the prompt whose KV the worker reused from an earlier request (prefix reuse)
    /// instead of computing them; part of `promptTokens`.
    public var cachedTokens: Int

    /// Usage of `promptTokens` in (`cachedTokens` of them reused) and `completionTokens` out.
    public init(promptTokens: Int, completionTokens: Int, cachedTokens: Int = 0) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.cachedTokens = cachedTokens
    }

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case cachedTokens = "cached_tokens"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        promptTokens = try c.decodeNumber(Int.self, forKey: .promptTokens)
        completionTokens = try c.decodeNumber(Int.self, forKey: .completionTokens)
        cachedTokens = try c.decodeNumberIfPresent(Int.self, forKey: .cachedTokens) ?? 0
        guard cachedTokens >= 0, cachedTokens <= promptTokens else {
            throw DecodingError.dataCorruptedError(forKey: .cachedTokens, in: c,
                debugDescription: "cached_tokens must be between 0 and prompt_tokens (\(promptTokens)), got \(cachedTokens)")
        }
    }
}

/// Where a request's time went, in milliseconds from its receipt by the worker.
public struct Timings: Sendable, Equatable, Codable {
    /// Waiting for a free slot.
    public var queueMs: Double
    /// Computing the prompt.
    public var prefillMs: Double
    /// From receipt to the first token sent.
    public var firstTokenMs: Double
    /// Generating after the first token.
    public var decodeMs: Double
    /// From receipt to `done`.
    public var totalMs: Double

    /// Timings of one request.
    public init(queueMs: Double, prefillMs: Double, firstTokenMs: Double, decodeMs: Double, totalMs: Double) {
        self.queueMs = queueMs
        self.prefillMs = prefillMs
        self.firstTokenMs = firstTokenMs
        self.decodeMs = decodeMs
        self.totalMs = totalMs
    }

    enum CodingKeys: String, CodingKey {
        case queueMs = "queue_ms"
        case prefillMs = "prefill_ms"
        case firstTokenMs = "first_token_ms"
        case decodeMs = "decode_ms"
        case totalMs = "total_ms"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        queueMs = try c.decodeNumber(Double.self, forKey: .queueMs)
        prefillMs = try c.decodeNumber(Double.self, forKey: .prefillMs)
        firstTokenMs = try c.decodeNumber(Double.self, forKey: .firstTokenMs)
        decodeMs = try c.decodeNumber(Double.self, forKey: .decodeMs)
        totalMs = try c.decodeNumber(Double.self, forKey: .totalMs)
    }
}
