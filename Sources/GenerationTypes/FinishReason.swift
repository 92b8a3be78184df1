/// Why a request ended: the one finish reason of the engine, the wire and the API (which maps it to OpenAI's
/// strings in `FinishReason+OpenAI.swift`).
public enum FinishReason: String, Codable, Sendable {
    /// End-of-sequence token or a stop string.
    case stop
    /// `max_tokens` reached, or the context is full.
    case length
    /// Cancelled by the supervisor, or by shutdown.
    case cancelled
    /// The request's deadline passed.
    case deadline
    /// The request failed; an `error` message with its id came first.
    case error
}
