import Tokenizer

#if canImport(Glibc)
import Glibc
#endif

/// Why a generation ended (OpenAI's finish_reason).
public enum FinishReason: String, Sendable, Codable {
    /// An end-of-generation token or a stop string.
    case stop
    /// max_tokens or the context was reached.
    case length
    case cancelled
    /// The request's deadline passed.
    case deadline
}

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

/// Generates one sequence on one KV-cache slot of a backend: prefill in chunks, then decode one
/// token per step until an end-of-generation token, a stop string, max tokens or the context.
public struct SingleSequenceGenerator {
    public let backend: any ComputeBackend
    public let slot: Int

    public init(backend: any ComputeBackend, slot: Int = 0) {
        self.backend = backend
        self.slot = slot
    }

    /// - Parameter onText: receives text as it becomes final; return false to cancel.
    /// - Parameter stopAtEndOfGeneration: false keeps decoding through end-of-generation tokens (benchmarks).
    public func generate(promptIDs: [Int32], parameters: SamplingParameters, maxTokens: Int, stop: [String] = [],
                         stopAtEndOfGeneration: Bool = true,
                         onText: (String) -> Bool = { _ in true }) throws(EngineError) -> GenerationResult {
        let model = backend.model
        let vocab = model.config.vocabularySize
        guard !promptIDs.isEmpty else { throw EngineError(.invalidRequest, "the prompt is empty") }
        guard promptIDs.count < backend.contextLength else {
            throw EngineError(.invalidRequest, "the prompt has \(promptIDs.count) tokens; the context holds \(backend.contextLength)")
        }
        var sampler = Sampler(parameters)
        promptIDs.forEach { sampler.accept($0) }
        var logits = [Float](repeating: 0, count: vocab)
        let start = monotonicSeconds()
        try prefill(promptIDs, logits: &logits)
        let prefillEnd = monotonicSeconds()

        var detok = StreamingDetokenizer(tokenizer: model.tokenizer)
        var stopper = StopMatcher(stop)
        var generated: [Int32] = []
        var text = ""
        var reason = FinishReason.length
        var position = promptIDs.count
        while generated.count < maxTokens {
            let token = logits.withUnsafeBufferPointer { sampler.sample($0) }
            if stopAtEndOfGeneration && model.tokenizer.isEndOfGeneration(token) { reason = .stop; break }
            generated.append(token)
            sampler.accept(token)
            let piece = stopper.feed(detok.append(token))
            text += piece
            if stopper.stopped { reason = .stop; break }
            if !piece.isEmpty && !onText(piece) { reason = .cancelled; break }
            if generated.count == maxTokens { break }
            guard position < backend.contextLength else { reason = .length; break }
            var batch = Batch()
            batch.append(token: token, position: position, slot: slot, wantLogits: true)
            try logits.withUnsafeMutableBufferPointer { (buf) throws(EngineError) in try backend.forward(batch, logits: buf) }
            position += 1
        }
        if !stopper.stopped {
            let tail = stopper.feed(detok.finish()) + stopper.flush()
            text += tail
            if !tail.isEmpty { _ = onText(tail) }
        }
        let end = monotonicSeconds()
        return GenerationResult(promptIDs: promptIDs, generatedIDs: generated, text: text, finishReason: reason,
                                promptSeconds: prefillEnd - start, decodeSeconds: end - prefillEnd)
    }

    /// Runs the prompt through the model in chunks; `logits` gets the last token's.
    func prefill(_ ids: [Int32], logits: inout [Float]) throws(EngineError) {
        var i = 0
        while i < ids.count {
            let n = min(backend.maxBatchTokens, ids.count - i)
            var batch = Batch()
            for j in 0 ..< n {
                batch.append(token: ids[i + j], position: i + j, slot: slot, wantLogits: i + j == ids.count - 1)
            }
            try logits.withUnsafeMutableBufferPointer { (buf) throws(EngineError) in try backend.forward(batch, logits: buf) }
            i += n
        }
    }
}
