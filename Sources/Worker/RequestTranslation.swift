import Engine
import GenerationTypes
import Tokenizer
import WorkerProtocol

/// Turns a protocol `generate` into the engine's request: tokenizes text and chat prompts with
/// the model's tokenizer and template, converts the deadline, and refuses what the wire allows but the worker
/// cannot take (id, stop strings, a prompt longer than the context, a non-positive deadline). What the engine
/// itself must hold (a non-empty prompt, `max_tokens` ≥ 1, sampling in range, token ids in the vocabulary) is
/// checked once, by `Generator.validate` when the request is submitted, and refused from there.
enum RequestTranslation {
    enum Outcome {
        case accepted(GenerationRequest)
        case refused(ErrorReply)
    }

    static func request(_ g: GenerateRequest, model: Model, context: Int, now: Double = monotonicSeconds()) -> Outcome {
        func refuse(_ code: ErrorReply.Code, _ message: String) -> Outcome {
            .refused(ErrorReply(id: g.id, code: code, message: message))
        }
        guard !g.id.isEmpty, g.id.utf8.count <= 256 else { return refuse(.badRequest, "the request id must be 1 to 256 bytes") }
        // The protocol is a trust boundary: the worker holds its own line on stop strings.
        if let problem = StopMatcher.problem(with: g.stop) { return refuse(.badRequest, "stop: \(problem)") }
        let ids: [Int32]
        switch g.prompt {
        case .tokens(let t): ids = t
        case .text(let text): ids = model.tokenizer.encode(text, addSpecial: g.addSpecial, parseSpecial: true)
        case .chat(let turns):
            do {
                ids = try model.tokenizer.encodeChat(turns.map { ChatMessage(role: $0.role, content: $0.content) })
            } catch {
                return refuse(.badRequest, "\(error)")
            }
        }
        guard ids.count < context else {
            return refuse(.promptTooLong, "the prompt has \(ids.count) tokens; this worker's context holds \(context) (including at least one generated token)")
        }
        if let ms = g.deadlineMs, ms <= 0 { return refuse(.badRequest, "deadline_ms must be positive (got \(ms))") }
        return .accepted(GenerationRequest(id: g.id, promptIDs: ids, parameters: g.sampling, maxTokens: g.maxTokens,
                                          stop: g.stop, ignoreEndOfGeneration: g.ignoreEos,
                                          deadline: g.deadlineMs.map { now + Double($0) / 1000 }))
    }
}
