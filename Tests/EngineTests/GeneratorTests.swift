import CPUBackend
import Engine
import Foundation
import GenerationTypes
import Testing

@Suite("continuous batching", .serialized)
struct GeneratorTests {
    static let prompts = [
        "The capital of France is", "Once upon a time", "def fibonacci(n):", "The three primary colors are",
        "Water boils at", "My favourite book is", "In 1492,", "The quick brown fox",
        "A haiku about the sea:", "Photosynthesis is", "The speed of light is", "import numpy as np",
    ]

    /// Runs requests to completion; returns tokens, text and finish reason by id.
    static func run(_ g: Generator, _ requests: [GenerationRequest], submitEvery: Int = 0)
        throws -> [String: (tokens: [Int32], text: String, reason: FinishReason, usage: Int)] {
        var out: [String: (tokens: [Int32], text: String, reason: FinishReason, usage: Int)] = [:]
        var pending = requests
        if submitEvery == 0 {
            for r in pending { try g.submit(r) }
            pending.removeAll()
        }
        var steps = 0
        while g.hasWork || !pending.isEmpty {
            if submitEvery > 0, steps % submitEvery == 0, !pending.isEmpty { try g.submit(pending.removeFirst()) }
            for e in try g.step() {
                switch e {
                case .token(let id, let index, let token, let text):
                    #expect(index == out[id, default: ([], "", .length, 0)].tokens.count)
                    out[id, default: ([], "", .length, 0)].tokens.append(token)
                    out[id, default: ([], "", .length, 0)].text += text
                case .done(let id, let reason, _, let completion, let tail, _, _):
                    out[id, default: ([], "", .length, 0)].text += tail
                    out[id, default: ([], "", .length, 0)].reason = reason
                    out[id, default: ([], "", .length, 0)].usage = completion
                }
            }
            steps += 1
            #expect(steps < 10_000)
        }
        return out
    }

    @Test("a sequence's greedy tokens are the same alone and among 11 others joining at different steps")
    func batchingEquivalence() throws {
        let model = try Model(path: try TestPaths.model("SmolLM2-135M-Instruct.Q4_1.gguf"))
        let backend = try CPUBackend(model: model, slots: 12, context: 256, maxBatchTokens: 128)
        let g = Generator(backend: backend, prefillChunk: 16)
        func request(_ i: Int) -> GenerationRequest {
            GenerationRequest(id: "r\(i)", promptIDs: model.tokenizer.encode(Self.prompts[i]), maxTokens: 24,
                              ignoreEndOfGeneration: true)
        }
        var alone: [String: [Int32]] = [:]
        for i in [0, 5, 11] { alone["r\(i)"] = try Self.run(g, [request(i)])["r\(i)"]!.tokens }
        // All twelve together, then staggered so sequences meet each other mid-prefill and mid-decode.
        let together = try Self.run(g, (0 ..< 12).map(request))
        let staggered = try Self.run(g, (0 ..< 12).map(request), submitEvery: 3)
        for (id, tokens) in alone {
            #expect(tokens.count == 24)
            #expect(together[id]!.tokens == tokens, "\(id) among 11 others")
            #expect(staggered[id]!.tokens == tokens, "\(id) staggered")
        }
        // And the single-sequence generator agrees.
        let single = try SingleSequenceGenerator(backend: backend).generate(
            promptIDs: model.tokenizer.encode(Self.prompts[0]), parameters: .greedy, maxTokens: 24,
            stopAtEndOfGeneration: false)
        #expect(single.generatedIDs == alone["r0"]!)
        #expect(g.stepsCompleted > 0 && g.tokensGenerated >= 24 * 15)
    }

    @Test("cancellation, deadlines, stop strings, max tokens and the context end sequences and free their slots")
    func endings() throws {
        let model = try Model(path: try TestPaths.model("SmolLM2-135M-Instruct.Q4_1.gguf"))
        let backend = try CPUBackend(model: model, slots: 2, context: 64, maxBatchTokens: 64)
        let g = Generator(backend: backend, prefillChunk: 8)
        let prompt = model.tokenizer.encode("The capital of France is")
        // Find what greedy says, then stop on a word of it.
        let free = try Self.run(g, [GenerationRequest(id: "a", promptIDs: prompt, maxTokens: 8, ignoreEndOfGeneration: true)])
        #expect(free["a"]!.reason == .length && free["a"]!.usage == 8)
        let word = String(free["a"]!.text.split(separator: " ")[1])
        let stopped = try Self.run(g, [GenerationRequest(id: "b", promptIDs: prompt, maxTokens: 8, stop: [word])])
        #expect(stopped["b"]!.reason == .stop)
        #expect(!stopped["b"]!.text.contains(word), "\(stopped["b"]!.text) holds the stop string \(word)")

        // Context: 64 positions, a long prompt leaves room for few tokens.
        let long = Array(repeating: prompt, count: 20).flatMap { $0 }.prefix(60)
        #expect(long.count == 60)
        let ctx = try Self.run(g, [GenerationRequest(id: "c", promptIDs: Array(long), maxTokens: 100, ignoreEndOfGeneration: true)])
        #expect(ctx["c"]!.reason == .length)
        // The first token comes from the prompt's logits; each later one needs a position: 60..63.
        #expect(ctx["c"]!.usage == 64 - 60 + 1, "tokens until the context is full")

        // Two slots busy, a third queued: cancelling a running one admits the queued one.
        for id in ["x", "y", "z"] {
            try g.submit(GenerationRequest(id: id, promptIDs: prompt, maxTokens: 40, ignoreEndOfGeneration: true))
        }
        _ = try g.step()
        #expect(g.activeCount == 2 && g.queuedCount == 1)
        #expect(g.cancel("x"))
        #expect(!g.cancel("nope"))
        let events = try g.step()
        #expect(events.contains { if case .done("x", .cancelled, _, _, _, _, _) = $0 { return true } else { return false } })
        #expect(g.activeCount == 2 && g.queuedCount == 0)
        try g.submit(GenerationRequest(id: "d", promptIDs: prompt, maxTokens: 40, deadline: monotonicSeconds() - 1))
        let late = try g.step()
        #expect(late.contains { if case .done("d", .deadline, _, 0, _, _, _) = $0 { return true } else { return false } })
        #expect(g.cancel("y") && g.cancel("z"))
        _ = try g.step()
        #expect(!g.hasWork)

        // Bad requests are refused with a reason.
        #expect(throws: EngineError.self) { try g.submit(GenerationRequest(id: "e", promptIDs: [], maxTokens: 4)) }
        #expect(throws: EngineError.self) {
            try g.submit(GenerationRequest(id: "f", promptIDs: Array(repeating: prompt[0], count: 64), maxTokens: 4))
        }
        #expect(throws: EngineError.self) { try g.submit(GenerationRequest(id: "g", promptIDs: [99_999_999], maxTokens: 4)) }
        try g.submit(GenerationRequest(id: "h", promptIDs: prompt, maxTokens: 1))
        #expect(throws: EngineError.self) { try g.submit(GenerationRequest(id: "h", promptIDs: prompt, maxTokens: 1)) }
        _ = try Self.run(g, [])
    }
}
