import Foundation

/// llama.cpp's perplexity: the tokens cut into chunks of `context`, each evaluated alone from an
/// empty cache (its first token replaced by BOS when the model adds one), negative log-likelihood
/// averaged over the predictions in the second half of each chunk.
public struct PerplexityResult: Sendable, Codable {
    public var perplexity: Double
    /// Tokens of the text.
    public var tokens: Int
    public var chunks: Int
    /// Predictions scored.
    public var scored: Int
    public var seconds: Double
}

public enum Perplexity {
    public static func evaluate(backend: any ComputeBackend, tokens: [Int32], context: Int,
                                progress: (Int, Int, Double) -> Void = { _, _, _ in }) throws(EngineError) -> PerplexityResult {
        let model = backend.model
        let vocab = model.config.vocabularySize
        guard context >= 4, context <= backend.contextLength else {
            throw EngineError(.invalidRequest, "context \(context) must be between 4 and the backend's \(backend.contextLength)")
        }
        let chunks = tokens.count / context
        guard chunks > 0 else {
            throw EngineError(.invalidRequest, "the text has \(tokens.count) tokens, fewer than one chunk of \(context)")
        }
        var nll = 0.0
        var scored = 0
        let start = monotonicSeconds()
        try scoreChunks(backend: backend, tokens: tokens, context: context, chunks: chunks,
                        afterChunk: { chunk in progress(chunk + 1, chunks, exp(nll / Double(max(scored, 1)))) }) { _, _, target, row in
            nll -= logSoftmax(row, row: 0, vocab: vocab, at: target)
            scored += 1
        }
        return PerplexityResult(perplexity: exp(nll / Double(scored)), tokens: tokens.count, chunks: chunks,
                                scored: scored, seconds: monotonicSeconds() - start)
    }

    /// llama.cpp's evaluation: each of `chunks` chunks of `context` tokens from an empty cache, its
    /// first token replaced by BOS when the model adds one, in steps of the backend's batch size.
    /// Calls `score(chunk, position, target, logits)` for every scored position (the second half of
    /// the chunk but the last), with the token that follows and that position's logits row.
    static func scoreChunks(backend: any ComputeBackend, tokens: [Int32], context: Int, chunks: Int,
                            afterChunk: (Int) -> Void,
                            score: (Int, Int, Int, UnsafeBufferPointer<Float>) -> Void) throws(EngineError) {
        let model = backend.model
        let vocab = model.config.vocabularySize
        let first = context / 2
        let step = backend.maxBatchTokens
        var logits = [Float](repeating: 0, count: step * vocab)
        for chunk in 0 ..< chunks {
            var ids = Array(tokens[chunk * context ..< (chunk + 1) * context])
            if model.tokenizer.addsBOS { ids[0] = model.tokenizer.bos }
            var i = 0
            while i < context {
                let n = min(step, context - i)
                var batch = Batch()
                for j in 0 ..< n {
                    let p = i + j
                    batch.append(token: ids[p], position: p, slot: 0, wantLogits: p >= first && p < context - 1)
                }
                try logits.withUnsafeMutableBufferPointer { (buf) throws(EngineError) in try backend.forward(batch, logits: buf) }
                logits.withUnsafeBufferPointer { all in
                    for (r, row) in batch.logitRows.enumerated() {
                        let p = i + row
                        score(chunk, p, Int(ids[p + 1]), UnsafeBufferPointer(rebasing: all[(r * vocab) ..< ((r + 1) * vocab)]))
                    }
                }
                i += n
            }
            afterChunk(chunk)
        }
    }

    /// log softmax(row)[target], in double.
    static func logSoftmax(_ logits: UnsafeBufferPointer<Float>, row: Int, vocab: Int, at target: Int) -> Double {
        let base = row * vocab
        var mx = -Float.infinity
        for i in 0 ..< vocab { mx = max(mx, logits[base + i]) }
        var sum = 0.0
        for i in 0 ..< vocab { sum += exp(Double(logits[base + i] - mx)) }
        return Double(logits[base + target] - mx) - log(sum)
    }
}
