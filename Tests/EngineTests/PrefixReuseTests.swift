import CPUBackend
import Engine
import GenerationTypes
import Testing

/// A slot keeps its KV cache for the next request that starts the same way (`Generator.reusePrefixes`).
@Suite("prefix reuse", .serialized)
struct PrefixReuseTests {
    struct Outcome {
        var tokens: [Int32] = []
        var cached = -1
        var reason: FinishReason?
    }

    /// Runs requests to completion, all submitted before the first step.
    static func run(_ g: Generator, _ requests: [GenerationRequest]) throws -> [String: Outcome] {
        var out: [String: Outcome] = [:]
        for r in requests { try g.submit(r) }
        var steps = 0
        while g.hasWork {
            for e in try g.step() {
                switch e {
                case .token(let id, _, let token, _): out[id, default: Outcome()].tokens.append(token)
                case .done(let id, let reason, _, _, _, _, let cached):
                    out[id, default: Outcome()].cached = cached
                    out[id, default: Outcome()].reason = reason
                }
            }
            steps += 1
            #expect(steps < 5_000)
        }
        return out
    }

    static func model() throws -> Model { try Model(path: try TestPaths.model("SmolLM2-135M-Instruct.Q4_1.gguf")) }

    /// A generator on a fresh CPU backend (batch limit 64).
    static func generator(_ model: Model, slots: Int, context: Int, chunk: Int, reuse: Bool = true) throws -> Generator {
        Generator(backend: try CPUBackend(model: model, slots: slots, context: context, maxBatchTokens: 64),
                  policy: SchedulingPolicy(prefillChunk: chunk), reusePrefixes: reuse)
    }

    static func request(_ id: String, _ prompt: [Int32], maxTokens: Int = 12) -> GenerationRequest {
        GenerationRequest(id: id, promptIDs: prompt, maxTokens: maxTokens, ignoreEndOfGeneration: true)
    }

    @Test("a repeated prompt computes only its last token and gives the same tokens as without reuse")
    func repeatedPrompt() throws {
        let model = try Self.model()
        let prompt = model.tokenizer.encode("The three primary colors are red, yellow and")
        let fresh = try Self.generator(model, slots: 1, context: 128, chunk: 8, reuse: false)
        let expected = try Self.run(fresh, [Self.request("a", prompt)])["a"]!
        #expect(expected.cached == 0 && expected.tokens.count == 12)
        let again = try Self.run(fresh, [Self.request("b", prompt)])["b"]!
        #expect(again.cached == 0, "reuse is off")

        let g = try Self.generator(model, slots: 1, context: 128, chunk: 8)
        let first = try Self.run(g, [Self.request("a", prompt)])["a"]!
        #expect(first.cached == 0)
        let processedBefore = g.promptTokensProcessed
        let second = try Self.run(g, [Self.request("b", prompt)])["b"]!
        #expect(second.cached == prompt.count - 1)
        #expect(g.promptTokensProcessed - processedBefore == 1, "only the last prompt token is computed")
        #expect(g.promptTokensReused == UInt64(prompt.count - 1))
        #expect(first.tokens == expected.tokens)
        #expect(second.tokens == expected.tokens)
    }

    @Test("the next turn of a chat reuses the prompt and the answer it extends")
    func nextTurn() throws {
        let model = try Self.model()
        let g = try Self.generator(model, slots: 2, context: 160, chunk: 16)
        let turn1 = model.tokenizer.encode("Once upon a time")
        let answer = try Self.run(g, [Self.request("t1", turn1, maxTokens: 10)])["t1"]!
        #expect(answer.tokens.count == 10)
        let turn2 = turn1 + answer.tokens + model.tokenizer.encode(" And then")
        let second = try Self.run(g, [Self.request("t2", turn2)])["t2"]!
        // The slot holds the prompt and every answer token fed back: all but the last one sampled.
        #expect(second.cached == turn1.count + answer.tokens.count - 1)

        // Without reuse the same prompt gives the same tokens.
        let plain = try Self.generator(model, slots: 1, context: 160, chunk: 16, reuse: false)
        #expect(try Self.run(plain, [Self.request("t2", turn2)])["t2"]!.tokens == second.tokens)
    }

    @Test("a prompt takes the free slot that shares the most with it, or else the least recently used one")
    func slotChoice() throws {
        let model = try Self.model()
        let g = try Self.generator(model, slots: 3, context: 128, chunk: 16)
        let a = model.tokenizer.encode("Water boils at one hundred degrees")
        let b = model.tokenizer.encode("My favourite book is a long one")
        let c = model.tokenizer.encode("import numpy as np")
        _ = try Self.run(g, [Self.request("a", a, maxTokens: 2)])
        _ = try Self.run(g, [Self.request("b", b, maxTokens: 2)])
        // c shares nothing: it takes the slot never used, so a's and b's caches stay.
        #expect(try Self.run(g, [Self.request("c", c, maxTokens: 2)])["c"]!.cached == 0)
        let a2 = Array(a.prefix(4)) + model.tokenizer.encode(" is hot")
        #expect(try Self.run(g, [Self.request("a2", a2, maxTokens: 2)])["a2"]!.cached == 4)
        #expect(try Self.run(g, [Self.request("b2", b, maxTokens: 2)])["b2"]!.cached == b.count - 1)
        // Both at once: each finds its own slot.
        let both = try Self.run(g, [Self.request("c3", c, maxTokens: 2), Self.request("b3", b, maxTokens: 2)])
        #expect(both["c3"]!.cached == c.count - 1)
        #expect(both["b3"]!.cached == b.count - 1)
    }

    @Test("a request cancelled mid-prompt leaves the part it computed for the next one")
    func cancelledPrefill() throws {
        let model = try Self.model()
        let prompt = model.tokenizer.encode("The speed of light is about three hundred thousand kilometres a second")
        // A sequence decodes beside the prompt, so the prompt goes in chunks of 4.
        let big = try Self.generator(model, slots: 2, context: 128, chunk: 4)
        try big.submit(Self.request("decoding", model.tokenizer.encode("Hello"), maxTokens: 50))
        _ = try big.step()
        try big.submit(Self.request("long", prompt))
        _ = try big.step()
        _ = try big.step()
        #expect(big.cancel("long"))
        var cancelled = -1
        for e in try big.step() {
            if case .done("long", .cancelled, _, _, _, _, let cached) = e { cancelled = cached }
        }
        #expect(cancelled == 0)
        #expect(big.cancel("decoding"))
        _ = try big.step()
        #expect(!big.hasWork)
        // Two chunks of 4 went in before the cancellation.
        #expect(try Self.run(big, [Self.request("again", prompt)])["again"]!.cached == 8)
    }
}
