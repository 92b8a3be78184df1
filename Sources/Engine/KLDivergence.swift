import Foundation

/// How far a model's next-token distributions are from a base run's, in llama-perplexity's own
/// terms (`--kl-divergence`): the same chunks and positions, the same per-row arithmetic.
public struct KLDivergenceResult: Sendable, Codable {
    public var perplexity: Double
    public var perplexityBase: Double
    /// ln(PPL / PPL(base)) and its uncertainty.
    public var logPerplexityRatio: Double
    public var logPerplexityRatioUncertainty: Double
    public var perplexityRatio: Double
    public var meanKLD: Double
    public var meanKLDUncertainty: Double
    public var maxKLD: Double
    /// Share of positions whose most likely token is the base's.
    public var sameTop: Double
    public var sameTopUncertainty: Double
    /// Root mean square of p(token) − p_base(token).
    public var deltaPRMS: Double
    public var positions: Int
    public var chunks: Int
    public var seconds: Double
}

/// Sums over scored positions, as llama-perplexity keeps them.
public struct KLDivergenceAccumulator: Sendable {
    var sumNLL = 0.0, sumNLL2 = 0.0, sumNLLBase = 0.0, sumNLLBase2 = 0.0, sumNLLNLLBase = 0.0
    var sumKLD = 0.0, sumKLD2 = 0.0, maxKLD = 0.0
    var sumPDiff2 = 0.0
    var sameTop = 0
    public private(set) var count = 0

    public init() {}

    /// Adds one position: the model's logits, the base's stored row, the token that followed.
    /// Returns that position's KL divergence.
    @discardableResult
    public mutating func add(logits: UnsafeBufferPointer<Float>, baseScale: Float, baseMinLogProb: Float,
                             base: UnsafeBufferPointer<UInt16>, token: Int) -> Double {
        let n = logits.count
        var maxLogit = logits[0]
        var imax = 0
        for i in 1 ..< n where logits[i] > maxLogit {
            maxLogit = logits[i]
            imax = i
        }
        var sumExp = 0.0
        for i in 0 ..< n { sumExp += Double(expf(logits[i] - maxLogit)) }
        let logSumExp = Float(log(sumExp))
        let nll = maxLogit + logSumExp - logits[token]
        let nllBase = -(baseScale * Float(base[token]) + baseMinLogProb)
        sumNLL += Double(nll)
        sumNLL2 += Double(nll * nll)
        sumNLLBase += Double(nllBase)
        sumNLLBase2 += Double(nllBase * nllBase)
        sumNLLNLLBase += Double(nll * nllBase)
        let logZ = maxLogit + logSumExp
        var kld = 0.0
        var imaxBase = 0
        var baseMax: Float = 0
        for i in 0 ..< n {
            let pLogBase = baseScale * Float(base[i]) + baseMinLogProb
            if i == 0 || pLogBase > baseMax {
                baseMax = pLogBase
                imaxBase = i
            }
            if pLogBase > -16 { kld += Double(expf(pLogBase) * (pLogBase - logits[i] + logZ)) }
        }
        sumKLD += kld
        sumKLD2 += kld * kld
        maxKLD = max(maxKLD, kld)
        if imax == imaxBase { sameTop += 1 }
        let pDiff = Double(expf(-nll) - expf(-nllBase))
        sumPDiff2 += pDiff * pDiff
        count += 1
        return kld
    }

    public func result(chunks: Int, seconds: Double) -> KLDivergenceResult {
        let c = Double(max(count, 1))
        func meanAndUncertainty(_ sum: Double, _ sum2: Double) -> (Double, Double) {
            let f = sum / c
            let df = sum2 / c - f * f
            return (f, df > 0 && count > 10 ? (df / (c - 1)).squareRoot() : 0)
        }
        let logPPL = meanAndUncertainty(sumNLL, sumNLL2)
        let logPPLBase = meanAndUncertainty(sumNLLBase, sumNLLBase2)
        let cov = count < 10 ? 0 : (sumNLLNLLBase / c - (sumNLL / c) * (sumNLLBase / c)) / (c - 1)
        let ratio = logPPL.0 - logPPLBase.0
        let ratioUnc = max(0, logPPL.1 * logPPL.1 + logPPLBase.1 * logPPLBase.1 - 2 * cov).squareRoot()
        let kld = meanAndUncertainty(sumKLD, sumKLD2)
        let top = Double(sameTop) / c
        return KLDivergenceResult(
            perplexity: exp(logPPL.0), perplexityBase: exp(logPPLBase.0), logPerplexityRatio: ratio,
            logPerplexityRatioUncertainty: ratioUnc, perplexityRatio: exp(ratio), meanKLD: kld.0,
            meanKLDUncertainty: kld.1, maxKLD: maxKLD, sameTop: top,
            sameTopUncertainty: count > 1 ? (top * (1 - top) / (c - 1)).squareRoot() : 0,
            deltaPRMS: (sumPDiff2 / c).squareRoot(), positions: count, chunks: chunks, seconds: seconds)
    }
}

extension Perplexity {
    /// Evaluates the base file's chunks (its tokens, the first replaced by BOS when the model adds
    /// one) and compares each scored position's distribution with the base's.
    public static func klDivergence(backend: any ComputeBackend, base: LlamaLogitsFile,
                                    progress: (Int, Int, KLDivergenceResult) -> Void = { _, _, _ in }) throws(EngineError) -> KLDivergenceResult {
        let model = backend.model
        let vocab = model.config.vocabularySize
        guard base.vocabularySize == vocab else {
            throw EngineError(.invalidRequest, "\(base.path) was made with a vocabulary of \(base.vocabularySize) tokens; "
                + "\(model.name) has \(vocab): the base must come from the same model family")
        }
        let context = base.context
        guard context <= backend.contextLength else {
            throw EngineError(.invalidRequest, "\(base.path) has chunks of \(context) tokens, more than the backend's context of \(backend.contextLength)")
        }
        let first = context / 2
        var acc = KLDivergenceAccumulator()
        let start = monotonicSeconds()
        try scoreChunks(backend: backend, tokens: base.tokens, context: context, chunks: base.chunks, afterChunk: { c in
            progress(c + 1, base.chunks, acc.result(chunks: c + 1, seconds: monotonicSeconds() - start))
        }) { chunk, p, target, logits in
            base.withRow(chunk: chunk, row: p - first) { scale, minLogProb, values in
                _ = acc.add(logits: logits, baseScale: scale, baseMinLogProb: minLogProb, base: values, token: target)
            }
        }
        return acc.result(chunks: base.chunks, seconds: monotonicSeconds() - start)
    }
}
