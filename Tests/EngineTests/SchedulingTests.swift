import CPUBackend
import Engine
import Foundation
import Testing

@Suite("step budget and chunked prefill", .serialized)
struct SchedulingTests {
    @Test("the cost model fits fixed + per-token cost, and errs long while steps had one size")
    func costModel() throws {
        var m = StepCostModel()
        #expect(m.estimate == nil && m.tokens(within: 1) == nil)
        for i in 0 ..< 40 {
            let n = [12, 12, 20, 44, 13][i % 5]
            m.observe(tokens: n, seconds: 0.010 + 0.002 * Double(n))
        }
        let e = try #require(m.estimate)
        #expect(abs(e.fixed - 0.010) < 1e-6 && abs(e.perToken - 0.002) < 1e-8)
        #expect(m.tokens(within: 0.0501) == 20)
        // One size only: the average cost per token stands in (an overestimate of the marginal one).
        var flat = StepCostModel()
        for _ in 0 ..< 10 { flat.observe(tokens: 12, seconds: 0.036) }
        #expect(flat.tokens(within: 0.0361) == 12)
        #expect(flat.tokens(within: 0.0481) == 16)
        // Nonsense is ignored.
        flat.observe(tokens: 0, seconds: 5)
        flat.observe(tokens: 3, seconds: .nan)
        #expect(flat.tokens(within: 0.0361) == 12)
    }

    @Test("the prefill budget: the whole batch without decoders, else the count cap, the time target and the floor")
    func prefillBudget() {
        var cost = StepCostModel()
        for n in [10, 30, 10, 30, 10, 30] { cost.observe(tokens: n, seconds: 0.001 * Double(n)) }   // 1 ms a token
        let open = SchedulingPolicy(prefillChunk: 64)
        #expect(open.prefillBudget(decoding: 0, batchLimit: 128, cost: cost) == 128)
        #expect(open.prefillBudget(decoding: 12, batchLimit: 128, cost: cost) == 116)
        let counted = SchedulingPolicy(prefillChunk: 64, stepTokens: 32)
        #expect(counted.prefillBudget(decoding: 12, batchLimit: 128, cost: cost) == 20)
        #expect(counted.prefillBudget(decoding: 0, batchLimit: 128, cost: cost) == 128)
        let timed = SchedulingPolicy(prefillChunk: 64, stepTarget: 0.040, minimumPrefill: 4)
        #expect(timed.prefillBudget(decoding: 12, batchLimit: 128, cost: cost) == 28)
        // A target the decoders alone overrun: prompts still get the floor, within the batch.
        #expect(timed.prefillBudget(decoding: 50, batchLimit: 128, cost: cost) == 4)
        #expect(timed.prefillBudget(decoding: 126, batchLimit: 128, cost: cost) == 2)
        // A prompt that has waited two step targets gets the count budget for a step.
        #expect(timed.promptWaitLimit == 0.080)
        #expect(timed.prefillBudget(decoding: 12, batchLimit: 128, cost: cost, promptWait: 0.079) == 28)
        #expect(timed.prefillBudget(decoding: 12, batchLimit: 128, cost: cost, promptWait: 0.080) == 116)
    }

    @Test("a prompt joining decoding sequences fills only the step budget, and its output does not depend on the chunking")
    func chunkedPrefillHoldsTheBudget() throws {
        let model = try Model(path: try TestPaths.model("SmolLM2-135M-Instruct.Q4_1.gguf"))
        let backend = try CPUBackend(model: model, slots: 4, context: 256, maxBatchTokens: 64)
        let prompt = Array(Array(repeating: model.tokenizer.encode("The quick brown fox jumps over the lazy dog."), count: 12)
            .joined().prefix(90))
        func request(_ id: String, _ ids: [Int32], _ n: Int) -> GenerationRequest {
            GenerationRequest(id: id, promptIDs: ids, maxTokens: n, ignoreEndOfGeneration: true)
        }
        // Alone: the whole prompt prefills in two steps (64 + 26 tokens).
        let alone = try GeneratorTests.run(Generator(backend: backend, prefillChunk: 64), [request("p", prompt, 12)])["p"]!.tokens

        let g = Generator(backend: backend, policy: SchedulingPolicy(prefillChunk: 64, stepTokens: 6, minimumPrefill: 1))
        let short = model.tokenizer.encode("Once upon a time")
        for i in 0 ..< 3 { try g.submit(request("d\(i)", short, 60)) }
        _ = try g.step()   // the three short prompts prefill together (nothing decodes yet)
        try g.submit(request("p", prompt, 12))
        var tokens: [Int32] = []
        var steps = 0
        while g.hasWork {
            let before = g.promptTokensProcessed
            for e in try g.step() {
                if case .token("p", _, let t, _) = e { tokens.append(t) }
            }
            let added = g.promptTokensProcessed - before
            // Three sequences decode while the long prompt prefills: it may add 6 - 3 tokens a step.
            if tokens.isEmpty { #expect(added <= 3, "step \(steps) added \(added) prompt tokens beside 3 decoders") }
            steps += 1
            #expect(steps < 1000)
        }
        #expect(tokens == alone, "chunked 3 tokens at a time, the prompt's output is what it is alone")
        #expect(g.profile.steps > 30 && g.profile[.matmul] > 0 && g.profile[.sampling] > 0)
    }
}
