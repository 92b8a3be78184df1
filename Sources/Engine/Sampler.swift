import CKernels
import Foundation
import GenerationTypes

/// xoshiro256** seeded through SplitMix64: fast, good, and the same sequence for the same seed everywhere.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    public mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = s.3 << 45 | s.3 >> 19
        return result
    }
}

/// Picks tokens from logits for one sequence: repetition penalty, then top-k, top-p, min-p and
/// temperature, then a draw; or the arg-max when greedy.
///
/// Runs once per token per sequence on the compute thread, so it never sorts the vocabulary: the passes
/// over the logits are vectorized C (arg-max; a bounded heap that skips whole vectors below its least;
/// one pass that keeps the candidates and their weights), a plain temperature draw walks the candidates
/// in index order, and only a top-p nucleus is sorted, found among the few tokens above a threshold.
public struct Sampler: Sendable {
    public let parameters: Sampling
    private var rng: SeededGenerator
    private var recent: [Int32] = []
    /// Penalised logits (only with a repetition penalty) and unnormalised probabilities, reused per call.
    private var penalized: [Float] = []
    private var weights: [Float] = []
    /// Token ids of `weights` (the candidates of a draw), and the top-k's ids and logits, reused per call.
    private var candidateIDs: [Int32] = []
    /// Indices into `weights` of a top-p nucleus.
    private var nucleus: [Int32] = []
    private var topIDs: [Int32] = []
    private var topValues: [Float] = []

    public init(_ parameters: Sampling) {
        self.parameters = parameters
        rng = SeededGenerator(seed: parameters.seed ?? UInt64.random(in: 0 ... .max))
    }

    /// Record a token of the sequence (prompt or generated) for the repetition penalty.
    public mutating func accept(_ token: Int32) {
        guard parameters.repeatPenalty != 1, parameters.repeatLastN > 0 else { return }
        recent.append(token)
        if recent.count > parameters.repeatLastN { recent.removeFirst(recent.count - parameters.repeatLastN) }
    }

    public mutating func sample(_ logits: UnsafeBufferPointer<Float>) -> Int32 {
        guard parameters.repeatPenalty != 1, !recent.isEmpty else { return sample(unpenalized: logits) }
        if penalized.count != logits.count { penalized = [Float](repeating: 0, count: logits.count) }
        _ = penalized.withUnsafeMutableBufferPointer { $0.initialize(from: logits) }
        let penalty = parameters.repeatPenalty
        for t in Set(recent) where Int(t) < logits.count && t >= 0 {
            let l = penalized[Int(t)]
            penalized[Int(t)] = l > 0 ? l / penalty : l * penalty
        }
        // Moved out for the call (no copy): sample(unpenalized:) mutates self.
        let buffer = penalized
        penalized = []
        defer { penalized = buffer }
        return buffer.withUnsafeBufferPointer { sample(unpenalized: $0) }
    }

    private mutating func sample(unpenalized logits: UnsafeBufferPointer<Float>) -> Int32 {
        let p = parameters
        let n = logits.count
        guard n > 0, let base = logits.baseAddress else { return 0 }
        var maxLogit: Float = 0
        let best = Int(ck_argmax(base, Int64(n), &maxLogit))
        if p.isGreedy || !maxLogit.isFinite { return Int32(best) }

        if p.topK > 0 && p.topK < n {
            let k = p.topK
            if topIDs.count < k {
                topIDs = [Int32](repeating: 0, count: k)
                topValues = [Float](repeating: 0, count: k)
            }
            topIDs.withUnsafeMutableBufferPointer { ids in
                topValues.withUnsafeMutableBufferPointer { vals in
                    ck_top_k(base, Int64(n), Int32(k), ids.baseAddress!, vals.baseAddress!)
                }
            }
            return drawSorted((0 ..< k).map { (id: Int(topIDs[$0]), weight: expf((topValues[$0] - maxLogit) / p.temperature)) })
        }
        // Candidates and their unnormalised probabilities, in index order; a token 30 temperatures
        // below the best weighs < 1e-13 and is left out.
        if candidateIDs.count < n {
            candidateIDs = [Int32](repeating: 0, count: n)
            weights = [Float](repeating: 0, count: n)
        }
        var total: Double = 0
        let count = candidateIDs.withUnsafeMutableBufferPointer { ids in
            weights.withUnsafeMutableBufferPointer { w in
                Int(ck_sample_weights(base, Int64(n), maxLogit, 1 / p.temperature, maxLogit - 30 * p.temperature,
                                      ids.baseAddress!, w.baseAddress!, &total))
            }
        }
        if p.topP >= 1 {
            // min-p keeps tokens at least minP as likely as the best (whose weight is 1).
            let u = Double.random(in: 0 ..< 1, using: &rng)
            let j = weights.withUnsafeBufferPointer { ck_sample_draw($0.baseAddress!, Int64(count), p.minP, u) }
            return j >= 0 ? candidateIDs[Int(j)] : Int32(best)
        }
        // Top-p: the nucleus lies among the tokens above some weight; find a threshold whose tokens hold the
        // mass, then sort only those.
        let target = Double(p.topP) * total
        if nucleus.count < count { nucleus = [Int32](repeating: 0, count: count) }
        var kept = 0
        for threshold: Float in [1e-2, 1e-4, 1e-7, 0] {
            var mass: Double = 0
            kept = weights.withUnsafeBufferPointer { w in
                nucleus.withUnsafeMutableBufferPointer { out in
                    Int(ck_sample_above(w.baseAddress!, Int64(count), threshold, out.baseAddress!, &mass))
                }
            }
            if mass >= target { break }
        }
        var candidates: [(id: Int, weight: Float)] = []
        candidates.reserveCapacity(kept)
        for i in 0 ..< kept {
            let j = Int(nucleus[i])
            candidates.append((Int(candidateIDs[j]), weights[j]))
        }
        candidates.sort { $0.weight > $1.weight || ($0.weight == $1.weight && $0.id < $1.id) }
        var keep = candidates.count
        var acc: Double = 0
        for i in 0 ..< candidates.count {
            acc += Double(candidates[i].weight)
            if acc >= target {
                keep = i + 1
                break
            }
        }
        return drawSorted(Array(candidates.prefix(keep)))
    }

    /// A draw among candidates sorted by descending weight, after min-p.
    private mutating func drawSorted(_ candidates: [(id: Int, weight: Float)]) -> Int32 {
        guard let top = candidates.first else { return 0 }
        var keep = candidates.count
        if parameters.minP > 0 {
            let cut = top.weight * parameters.minP
            keep = max(1, candidates.firstIndex(where: { $0.weight < cut }) ?? keep)
        }
        var total: Double = 0
        for i in 0 ..< keep { total += Double(candidates[i].weight) }
        var r = Double.random(in: 0 ..< 1, using: &rng) * total
        for i in 0 ..< keep {
            r -= Double(candidates[i].weight)
            if r < 0 { return Int32(candidates[i].id) }
        }
        return Int32(candidates[keep - 1].id)
    }
}
