import ArgumentParser
import CKernels
import Engine
import Foundation
import GenerationTypes

/// Time per sampled token at the vocabulary sizes of the models operators run, per parameter set,
/// on the best kernel family beside the scalar one.
struct BenchSamplingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sampling",
        abstract: "Microseconds per sampled token at 49k-262k vocabularies, vectorized beside scalar.",
        discussion: """
            Logits are Gaussian (σ 3) with a few peaks, so a temperature-1 draw keeps nearly the whole \
            vocabulary as candidates: the worst case. The target is 50 µs per sequence per token.
            """)

    @Option(help: "Vocabulary sizes.") var vocab: [Int] = [49_152, 151_936, 262_144]
    @Option(help: "Draws per measurement.") var draws = 400

    func run() throws {
        let sets: [(String, Sampling)] = [
            ("greedy", .greedy),
            ("temperature 1", Sampling(temperature: 1, topK: 0, topP: 1, minP: 0, seed: 1)),
            ("top-k 40, top-p 0.95, min-p 0.05", Sampling(temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05, seed: 1)),
            ("top-p 0.9", Sampling(temperature: 1, topK: 0, topP: 0.9, minP: 0, seed: 1)),
            ("min-p 0.1", Sampling(temperature: 1, topK: 0, topP: 1, minP: 0.1, seed: 1)),
            ("repetition penalty 1.1", Sampling(temperature: 1, topK: 0, topP: 1, minP: 0, repeatPenalty: 1.1, seed: 1)),
        ]
        let best = String(cString: ck_isa_name())
        var rows = [["vocabulary", "parameters", "\(best) (µs)", "scalar (µs)", "target 50 µs"]]
        for n in vocab {
            // Engine's seeded generator; a sum of four uniforms stands in for a Gaussian.
            var g = Engine.SeededGenerator(seed: UInt64(n))
            var logits = (0 ..< n).map { _ in ((0 ..< 4).reduce(Float(0)) { s, _ in s + Float.random(in: 0 ..< 1, using: &g) } - 2) * 3 }
            for k in 0 ..< 8 { logits[Int.random(in: 0 ..< n, using: &g)] = 14 + Float(k) }
            for (name, p) in sets {
                let fast = Self.time(logits, p, draws: draws)
                _ = ck_set_isa_limit(0)
                let scalar = Self.time(logits, p, draws: max(20, draws / 10))
                _ = ck_set_isa_limit(3)
                rows.append(["\(n)", name, String(format: "%.1f", fast), String(format: "%.1f", scalar), fast <= 50 ? "met" : "missed"])
            }
        }
        let widths = (0 ..< rows[0].count).map { c in rows.map { $0[c].count }.max()! }
        for r in rows {
            print(r.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }.joined(separator: "  "))
        }
    }

    /// Median microseconds per draw over batches of draws.
    static func time(_ logits: [Float], _ p: Sampling, draws: Int) -> Double {
        var s = Sampler(p)
        for t in 0 ..< 64 { s.accept(Int32(t * 7)) }
        var samples: [Double] = []
        var sink: Int32 = 0
        logits.withUnsafeBufferPointer { buf in
            for _ in 0 ..< 5 {
                let t0 = monotonicSeconds()
                for _ in 0 ..< max(1, draws / 5) { sink &+= s.sample(buf) }
                samples.append((monotonicSeconds() - t0) * 1e6 / Double(max(1, draws / 5)))
            }
        }
        if sink == .min { print("") }
        return samples.sorted()[samples.count / 2]
    }
}
