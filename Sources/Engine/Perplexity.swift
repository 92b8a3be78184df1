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
        let addsBOS = model.tokenizer.addsBOS
        let first = context / 2
        let step = backend.maxBatchTokens
        var logits = [Float](repeating: 0, count: step * vocab)
        var nll = 0.0
        var scored = 0
        let start = monotonicSeconds()
        for chunk in 0 ..< chunks {
            var ids = Array(tokens[chunk * context ..< (chunk + 1) * context])
            if addsBOS { ids[0] = model.tokenizer.bos }
            var i = 0
            while i < context {
                let n = min(step, context - i)
                var batch = Batch()
                for j in 0 ..< n {
                    let p = i + j
                    batch.append(token: ids[p], position: p, slot: 0, wantLogits: p >= first && p < context - 1)
                }
                try logits.withUnsafeMutableBufferPointer { (buf) throws(EngineError) in try backend.forward(batch, logits: buf) }
                for (r, row) in batch.logitRows.enumerated() {
                    let target = Int(ids[i + row + 1])
                    nll -= logits.withUnsafeBufferPointer { logSoftmax($0, row: r, vocab: vocab, at: target) }
                    scored += 1
                }
                i += n
            }
            progress(chunk + 1, chunks, exp(nll / Double(max(scored, 1))))
        }
        return PerplexityResult(perplexity: exp(nll / Double(scored)), tokens: tokens.count, chunks: chunks,
                                scored: scored, seconds: monotonicSeconds() - start)
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
