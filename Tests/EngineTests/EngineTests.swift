import CPUBackend
import Engine
import Foundation
import Testing

@Suite("CPU engine against llama.cpp", .serialized)
struct GoldenEngineTests {
    @Test("greedy continuations match llama.cpp: first 8 tokens always, all 32 on at least 14 of 16")
    func greedyContinuations() throws {
        let goldens = try Goldens.load()
        var fullMatches = 0
        var cases = 0
        for name in TestPaths.models {
            let model = try Model(path: try TestPaths.model(name))
            let backend = try CPUBackend(model: model, slots: 1, context: 256)
            let generator = SingleSequenceGenerator(backend: backend)
            for g in try #require(goldens.completions[name]) {
                let r = try generator.generate(promptIDs: g.prompt_ids, parameters: .greedy, maxTokens: g.generated_ids.count)
                cases += 1
                let agree = zip(r.generatedIDs, g.generated_ids).prefix { $0 == $1 }.count
                #expect(agree >= 8, "\(name) '\(g.prompt)': only \(agree) tokens agree: \(r.generatedIDs) vs \(g.generated_ids)")
                if r.generatedIDs == g.generated_ids {
                    fullMatches += 1
                    #expect(r.text == g.generated_text)
                } else {
                    print("differs: \(name) '\(g.prompt)' after \(agree) tokens: ours \(r.generatedIDs.dropFirst(agree).prefix(4)), llama.cpp \(g.generated_ids.dropFirst(agree).prefix(4))")
                }
            }
        }
        #expect(cases == 16)
        #expect(fullMatches >= 14, "only \(fullMatches) of \(cases) continuations match llama.cpp in full")
        print("greedy continuations: \(fullMatches)/\(cases) match llama.cpp in all 32 tokens")
    }

    @Test("perplexity on the Apache-2.0 text is within 1 % of llama.cpp's", arguments: TestPaths.models)
    func perplexity(name: String) throws {
        let golden = try PerplexityGolden.load()
        let expected = try #require(golden.perplexity[name])
        let text = try String(contentsOfFile: "/usr/share/common-licenses/Apache-2.0", encoding: .utf8)
        let model = try Model(path: try TestPaths.model(name))
        let backend = try CPUBackend(model: model, slots: 1, context: golden.context, maxBatchTokens: 128)
        let r = try Perplexity.evaluate(backend: backend, tokens: model.tokenizer.encode(text), context: golden.context)
        print("perplexity \(name): \(r.perplexity) (llama.cpp \(expected)), \(r.chunks) chunks in \(r.seconds) s")
        #expect(r.chunks == 4)
        #expect(abs(r.perplexity - expected) / expected < 0.01)
    }
}
