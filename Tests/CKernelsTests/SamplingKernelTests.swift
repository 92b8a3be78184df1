import CKernels
import Foundation
import TestHarness
import Testing

/// The sampler's passes over the vocabulary give the same answers on every kernel family the
/// machine can run, and the answers are right.
@Suite("sampling kernels", .serialized)
struct SamplingKernelTests {
    static func logits(_ n: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        var x = (0 ..< n).map { _ in rng.gauss() * 4 }
        if n > 40 {
            x[n / 3] = 30; x[n / 2] = 30          // a tie for the maximum: the first one wins
            x[7] = .nan; x[n - 1] = -.infinity     // ignored by the max, never a candidate
        }
        return x
    }

    @Test(arguments: [1, 7, 8, 9, 100, 49_152 + 5])
    func argmaxAndTopK(n: Int) {
        let x = Self.logits(n, seed: UInt64(n))
        var results: [(Int64, Float, [Int32], [Float])] = []
        for level in 0 ... maxISALevel {
            withISA(level) {
                var m: Float = 0
                let i = ck_argmax(x, Int64(n), &m)
                let k = min(40, n)
                var ids = [Int32](repeating: -1, count: k), vals = [Float](repeating: 0, count: k)
                ck_top_k(x, Int64(n), Int32(k), &ids, &vals)
                results.append((i, m, ids, vals))
            }
        }
        // The reference: the first largest non-NaN value; the k largest by value, then index.
        let finite = x.enumerated().filter { !$0.element.isNaN }
        let best = finite.max { $0.element < $1.element || ($0.element == $1.element && $0.offset > $1.offset) }!
        for (level, r) in results.enumerated() {
            #expect(r.0 == Int64(best.offset) && r.1 == best.element, "level \(level)")
            #expect(r.2 == results[0].2 && r.3.map(\.bitPattern) == results[0].3.map(\.bitPattern), "level \(level)")
        }
        let sorted = finite.sorted { $0.element > $1.element || ($0.element == $1.element && $0.offset < $1.offset) }
        #expect(results[0].3 == sorted.prefix(min(40, n)).map(\.element))
    }

    @Test(arguments: [5, 8, 17, 1000, 262_144 + 3])
    func weightsThresholdsAndDraws(n: Int) {
        let x = Self.logits(n, seed: 99 + UInt64(n))
        var m: Float = 0
        _ = ck_argmax(x, Int64(n), &m)
        var runs: [(ids: [Int32], w: [UInt32], total: Double, above: [Int32], mass: Double, draws: [Int64])] = []
        for level in 0 ... maxISALevel {
            withISA(level) {
                var ids = [Int32](repeating: 0, count: n), w = [Float](repeating: 0, count: n)
                var total = 0.0
                let count = Int(ck_sample_weights(x, Int64(n), m, 1 / 0.9, m - 27, &ids, &w, &total))
                var above = [Int32](repeating: 0, count: max(1, count))
                var mass = 0.0
                let k = Int(ck_sample_above(w, Int64(count), 1e-4, &above, &mass))
                let draws = [0.0, 0.3, 0.5, 0.999999].flatMap { u in
                    [ck_sample_draw(w, Int64(count), 0, u), ck_sample_draw(w, Int64(count), 0.05, u)]
                }
                runs.append((Array(ids.prefix(count)), w.prefix(count).map(\.bitPattern), total, Array(above.prefix(k)), mass, draws))
            }
        }
        for (level, r) in runs.enumerated() {
            #expect(r.ids == runs[0].ids && r.w == runs[0].w && r.total == runs[0].total, "level \(level) weights")
            #expect(r.above == runs[0].above && r.mass == runs[0].mass, "level \(level) threshold")
            #expect(r.draws == runs[0].draws, "level \(level) draws")
        }
        // Against a plain reference: candidates are the values >= floor in index order, weighed by exp.
        let want = x.enumerated().filter { $0.element >= m - 27 }
        let r = runs[0]
        #expect(r.ids == want.map { Int32($0.offset) })
        for (j, c) in want.enumerated() {
            let e = exp(Double((c.element - m) * (1 / Float(0.9))))
            #expect(abs(Double(Float(bitPattern: r.w[j])) - e) <= 2e-6 * max(e, 1e-30))
        }
        // A draw lands where the running sum passes u times the total (the first and the last candidate
        // at the ends), and a min-p cut never lands below the cut.
        let weights = r.w.map { Float(bitPattern: $0) }
        #expect(r.draws[0] == Int64(weights.firstIndex { $0 > 0 } ?? -1))
        #expect(r.draws[6] == Int64(weights.lastIndex { $0 > 0 } ?? -1) || weights[Int(r.draws[6])] > 0)
        for d in stride(from: 1, to: r.draws.count, by: 2) { #expect(weights[Int(r.draws[d])] >= 0.05) }
        let mid = r.draws[4]
        let before = weights.prefix(Int(mid)).reduce(0.0) { $0 + Double($1) }
        #expect(before <= 0.5 * r.total * (1 + 1e-5) && before + Double(weights[Int(mid)]) >= 0.5 * r.total * (1 - 1e-5))
    }
}
