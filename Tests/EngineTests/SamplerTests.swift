import Engine
import GenerationTypes
import Testing

@Suite("Sampler")
struct SamplerTests {
    func logits(_ values: [Float]) -> [Float] { values }

    @Test("greedy picks the first arg-max")
    func greedy() {
        var s = Sampler(.greedy)
        let l: [Float] = [0.5, 3, -1, 3, 2]
        #expect(l.withUnsafeBufferPointer { s.sample($0) } == 1)
    }

    @Test("the same seed gives the same tokens, another seed other tokens")
    func seeded() {
        let l = (0 ..< 1000).map { Float(($0 * 7919) % 113) / 20 }
        func run(_ seed: UInt64) -> [Int32] {
            var s = Sampler(Sampling(temperature: 1.5, topK: 0, topP: 1, minP: 0, seed: seed))
            return (0 ..< 50).map { _ in l.withUnsafeBufferPointer { s.sample($0) } }
        }
        #expect(run(42) == run(42))
        #expect(run(42) != run(43))
    }

    @Test("top-k keeps only the k most likely tokens")
    func topK() {
        let l = (0 ..< 100).map { Float($0) / 10 }
        var s = Sampler(Sampling(temperature: 5, topK: 3, topP: 1, minP: 0, seed: 1))
        let picks = Set((0 ..< 500).map { _ in l.withUnsafeBufferPointer { s.sample($0) } })
        #expect(picks.isSubset(of: [97, 98, 99]))
        #expect(picks.count == 3)
    }

    @Test("top-p keeps the smallest nucleus")
    func topP() {
        // probabilities ~ 0.5, 0.25, 0.125, ... : top-p 0.7 keeps the first two
        let l = (0 ..< 20).map { -Float($0) * Float(0.6931472) }
        var s = Sampler(Sampling(temperature: 1, topK: 0, topP: 0.7, minP: 0, seed: 7))
        let picks = Set((0 ..< 500).map { _ in l.withUnsafeBufferPointer { s.sample($0) } })
        #expect(picks == [0, 1])
    }

    @Test("min-p drops tokens far less likely than the best")
    func minP() {
        let l: [Float] = [0, -0.1, -5, -6, -7]
        var s = Sampler(Sampling(temperature: 1, topK: 0, topP: 1, minP: 0.1, seed: 3))
        let picks = Set((0 ..< 500).map { _ in l.withUnsafeBufferPointer { s.sample($0) } })
        #expect(picks == [0, 1])
    }

    @Test("repetition penalty steers greedy away from a seen token")
    func repeatPenalty() {
        let l: [Float] = [2.0, 1.9, 0]
        var s = Sampler(Sampling(temperature: 0, topK: 0, topP: 1, minP: 0, repeatPenalty: 1.3))
        s.accept(0)
        #expect(l.withUnsafeBufferPointer { s.sample($0) } == 1)
    }

    @Test("out-of-range parameters are named")
    func validation() {
        #expect(Sampling(temperature: -.infinity).problem != nil)
        #expect(Sampling(topP: 0).problem != nil)
        #expect(Sampling(minP: 2).problem != nil)
        #expect(Sampling().problem == nil)
    }
}

@Suite("Stop strings")
struct StopMatcherTests {
    @Test("a stop string split across pieces is never emitted")
    func split() {
        var m = StopMatcher(["</s>"])
        var out = ""
        for piece in ["Hello", " wor", "ld<", "/", "s> more"] { out += m.feed(piece) }
        #expect(m.stopped)
        #expect(out == "Hello world")
    }

    @Test("a partial match that does not complete is released")
    func release() {
        var m = StopMatcher(["STOP"])
        var out = m.feed("a ST")
        #expect(out == "a ")
        out += m.feed("ART")
        out += m.flush()
        #expect(out == "a START")
        #expect(!m.stopped)
    }

    @Test("the earliest of several stop strings wins")
    func earliest() {
        var m = StopMatcher(["world", "lo w"])
        #expect(m.feed("hello world") == "hel")
    }
}
