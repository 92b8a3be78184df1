import GenerationTypes
import Tokenizer

#if canImport(Glibc)
import Glibc
#endif

/// What one generation produced, with llama.cpp-style timings.
public struct GenerationResult: Sendable, Codable {
    public var promptIDs: [Int32]
    public var generatedIDs: [Int32]
    public var text: String
    public var finishReason: FinishReason
    public var promptSeconds: Double
    public var decodeSeconds: Double

    public var promptTokensPerSecond: Double { promptSeconds > 0 ? Double(promptIDs.count) / promptSeconds : 0 }
    /// Decode speed over the tokens after the first (the first comes out of the prefill step).
    public var decodeTokensPerSecond: Double {
        decodeSeconds > 0 ? Double(max(generatedIDs.count - 1, 0)) / decodeSeconds : 0
    }
}

/// Monotonic seconds.
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Generates one sequence, start to end, on the continuous-batching `Generator`: the CLI's and
/// the single-sequence benchmark's path, with the same prefill, sampling and stopping as a
/// worker's batches.
public struct SingleSequenceGenerator {
    public let backend: any ComputeBackend

    public init(backend: any ComputeBackend) {
        self.backend = backend
    }

    /// - Parameter onText: receives text as it becomes final; return false to cancel.
    /// - Parameter stopAtEndOfGeneration: false keeps decoding through end-of-generation tokens (benchmarks).
    public func generate(promptIDs: [Int32], parameters: Sampling, maxTokens: Int, stop: [String] = [],
                         stopAtEndOfGeneration: Bool = true,
                         onText: (String) -> Bool = { _ in true }) throws(EngineError) -> GenerationResult {
        // Prompts go through in chunks as large as a step allows.
        let generator = Generator(backend: backend, prefillChunk: backend.maxBatchTokens)
        let start = monotonicSeconds()
        try generator.submit(GenerationRequest(id: "single", promptIDs: promptIDs, parameters: parameters,
                                               maxTokens: maxTokens, stop: stop,
                                               ignoreEndOfGeneration: !stopAtEndOfGeneration), at: start)
        var generated: [Int32] = []
        var text = ""
        var reason = FinishReason.length
        var firstToken: Double?
        while generator.hasWork {
            for event in try generator.step() {
                switch event {
                case .token(_, _, let token, let piece):
                    if firstToken == nil { firstToken = monotonicSeconds() }
                    generated.append(token)
                    text += piece
                    if !piece.isEmpty && !onText(piece) { _ = generator.cancel("single") }
                case .done(_, let why, _, _, let tail, _, _):
                    reason = why
                    text += tail
                    if !tail.isEmpty { _ = onText(tail) }
                }
            }
        }
        let end = monotonicSeconds()
        let prefillEnd = firstToken ?? end
        return GenerationResult(promptIDs: promptIDs, generatedIDs: generated, text: text, finishReason: reason,
                                promptSeconds: prefillEnd - start, decodeSeconds: end - prefillEnd)
    }
}
