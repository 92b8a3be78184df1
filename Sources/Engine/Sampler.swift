import Foundation

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
/// Runs once per token per sequence on the compute thread, so it never sorts the vocabulary: weights come
/// from one pass, a plain temperature draw walks them in index order, and only a top-p nucleus is sorted,
/// found among the few tokens above a probability threshold.
public struct Sampler: Sendable {
    public let parameters: SamplingParameters
    private var rng: SeededGenerator
    private var recent: [Int32] = []
    /// Penalised logits (only with a repetition penalty) and unnormalised probabilities, reused per call.
    private var penalized: [Float] = []
    private var weights: [Float] = []

    public init(_ parameters: SamplingParameters) {
        self.parameters = parameters
        rng = SeededGenerator(seed: parameters.seed ?? UInt64.random(in: 0 ... .max))
    }

    /// Record a token of the sequence (prompt or generated) for the repetition penalty.
    public mutating func accept(_ token: Int32) {
        guard parameters.repetitionPenalty != 1, parameters.repetitionWindow > 0 else { return }
        recent.append(token)
        if recent.count > parameters.repetitionWindow { recent.removeFirst(recent.count - parameters.repetitionWindow) }
    }

    public mutating func sample(_ logits: UnsafeBufferPointer<Float>) -> Int32 {
        guard parameters.repetitionPenalty != 1, !recent.isEmpty else { return sample(unpenalized: logits) }
        if penalized.count != logits.count { penalized = [Float](repeating: 0, count: logits.count) }
        _ = penalized.withUnsafeMutableBufferPointer { $0.initialize(from: logits) }
        let penalty = parameters.repetitionPenalty
        for t in Set(recent) where Int(t) < logits.count && t >= 0 {
            let l = penalized[Int(t)]
            penalized[Int(t)] = l > 0 ? l / penalty : l * penalty
        }
        let copy = penalized
        return copy.withUnsafeBufferPointer { sample(unpenalized: $0) }
    }

    private mutating func sample(unpenalized logits: UnsafeBufferPointer<Float>) -> Int32 {
        let p = parameters
        let n = logits.count
        guard n > 0 else { return 0 }
        var best = 0
        var maxLogit = -Float.infinity
        for i in 0 ..< n where logits[i] > maxLogit {
            maxLogit = logits[i]
            best = i
        }
        if p.isGreedy || !maxLogit.isFinite { return Int32(best) }

        if p.topK > 0 && p.topK < n {
            let candidates = Self.topK(count: n, k: p.topK) { logits[$0] }
            return drawSorted(candidates.map { (id: $0.id, weight: expf(($0.logit - maxLogit) / p.temperature)) })
        }
        // Unnormalised probabilities; a token 30 temperatures below the best weighs < 1e-13 and is left at 0.
        if weights.count != n { weights = [Float](repeating: 0, count: n) }
        let invT = 1 / p.temperature
        let floor = maxLogit - 30 * p.temperature
        var total: Double = 0
        weights.withUnsafeMutableBufferPointer { w in
            for i in 0 ..< n {
                let l = logits[i]
                let v: Float = l >= floor ? expf((l - maxLogit) * invT) : 0
                w[i] = v
                total += Double(v)
            }
        }
        if p.topP >= 1 {
            // min-p keeps tokens at least minP as likely as the best (whose weight is 1).
            let cut = p.minP
            return weights.withUnsafeBufferPointer { w in
                var kept = total
                if cut > 0 {
                    kept = 0
                    for i in 0 ..< n where w[i] >= cut { kept += Double(w[i]) }
                }
                var r = Double.random(in: 0 ..< 1, using: &rng) * kept
                var last = best
                for i in 0 ..< n where w[i] > 0 && w[i] >= cut {
                    r -= Double(w[i])
                    last = i
                    if r < 0 { return Int32(i) }
                }
                return Int32(last)
            }
        }
        // Top-p: the nucleus lies among the tokens above some weight; find a threshold whose tokens hold the
        // mass, then sort only those.
        let target = Double(p.topP) * total
        var candidates: [(id: Int, weight: Float)] = []
        for threshold: Float in [1e-2, 1e-4, 1e-7, 0] {
            candidates.removeAll(keepingCapacity: true)
            var mass: Double = 0
            weights.withUnsafeBufferPointer { w in
                for i in 0 ..< n where w[i] > threshold || (threshold == 0 && w[i] > 0) {
                    candidates.append((i, w[i]))
                    mass += Double(w[i])
                }
            }
            if mass >= target { break }
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

    /// The k largest logits, descending, by a bounded min-heap.
    static func topK(count: Int, k: Int, _ logit: (Int) -> Float) -> [(id: Int, logit: Float)] {
        var heap: [(id: Int, logit: Float)] = []
        heap.reserveCapacity(k)
        func siftDown(_ start: Int) {
            var i = start
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < heap.count && heap[l].logit < heap[m].logit { m = l }
                if r < heap.count && heap[r].logit < heap[m].logit { m = r }
                if m == i { return }
                heap.swapAt(i, m)
                i = m
            }
        }
        for i in 0 ..< count {
            let v = logit(i)
            if heap.count < k {
                heap.append((i, v))
                var c = heap.count - 1
                while c > 0 {
                    let parent = (c - 1) / 2
                    if heap[parent].logit <= heap[c].logit { break }
                    heap.swapAt(parent, c)
                    c = parent
                }
            } else if v > heap[0].logit {
                heap[0] = (i, v)
                siftDown(0)
            }
        }
        return heap.sorted { $0.logit > $1.logit || ($0.logit == $1.logit && $0.id < $1.id) }
    }
}
