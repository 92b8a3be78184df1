import GenerationTypes
import WorkerProtocol

extension FinishReason {
    /// The `finish_reason` an OpenAI client gets for this. OpenAI has only `stop`, `length`, `content_filter`
    /// and `tool_calls`, so a request cut short for any other reason reports `length`: its output is
    /// incomplete, as when `max_tokens` ran out, and `stop` would claim the model finished.
    ///
    /// - `stop` → `"stop"` (end of sequence or a stop string)
    /// - `length` → `"length"` (`max_tokens` or the context ran out)
    /// - `deadline` → `"length"` (the request's deadline passed mid-generation)
    /// - `cancelled` → `"length"` (cancelled, e.g. by shutdown, mid-generation)
    /// - `error` → `"length"` (the server answers an error instead wherever it still can)
    public var openAIFinishReason: String {
        switch self {
        case .stop: "stop"
        case .length, .deadline, .cancelled, .error: "length"
        }
    }
}
