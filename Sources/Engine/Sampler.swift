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
public struct Sampler: Sendable {
    public let parameters: SamplingParameters
    private var rng: SeededGenerator
    private var recent: [Int32] = []

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
        let p = parameters
        var penalized: [Int: Float] = [:]
        if p.repetitionPenalty != 1 {
            for t in Set(recent) where Int(t) < logits.count {
                let l = logits[Int(t)]
                penalized[Int(t)] = l > 0 ? l / p.repetitionPenalty : l * p.repetitionPenalty
            }
        }
        @inline(__always) func logit(_ i: Int) -> Float { penalized[i] ?? logits[i] }

        if p.isGreedy {
            var best = 0
            var bestValue = -Float.infinity
            for i in 0 ..< logits.count {
                let v = logit(i)
                if v > bestValue { bestValue = v; best = i }
            }
            return Int32(best)
        }

        // Candidates: the top-k by logit (or, without top-k, every token not negligibly unlikely).
        var maxLogit = -Float.infinity
        for i in 0 ..< logits.count { maxLogit = max(maxLogit, logit(i)) }
        var candidates: [(id: Int, logit: Float)] = []
        if p.topK > 0 && p.topK < logits.count {
            candidates = Self.topK(count: logits.count, k: p.topK, logit)
        } else {
            // exp(-40) relative to the best is below any top-p or min-p that matters
            let floor = maxLogit - 40 * max(p.temperature, 1e-3)
            for i in 0 ..< logits.count where logit(i) >= floor { candidates.append((i, logit(i))) }
            candidates.sort { $0.logit > $1.logit }
        }
        // Softmax at the temperature, in descending order.
        var probs = candidates.map { Double(($0.logit - maxLogit) / p.temperature) }
        var sum = 0.0
        for i in probs.indices { probs[i] = exp(probs[i]); sum += probs[i] }
        for i in probs.indices { probs[i] /= sum }
        var keep = probs.count
        if p.topP < 1 {
            var acc = 0.0
            for i in 0 ..< probs.count {
                acc += probs[i]
                if acc >= Double(p.topP) { keep = i + 1; break }
            }
        }
        if p.minP > 0, let top = probs.first {
            let cut = top * Double(p.minP)
            keep = min(keep, max(1, probs.prefix(keep).firstIndex(where: { $0 < cut }) ?? keep))
        }
        let total = probs.prefix(keep).reduce(0, +)
        var r = Double.random(in: 0 ..< 1, using: &rng) * total
        for i in 0 ..< keep {
            r -= probs[i]
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
