import CPUBackend
import Engine
import Foundation
import Testing

@Suite("KL divergence against a llama-perplexity logits file")
struct KLDivergenceTests {
    /// KL(P_base ‖ Q) computed directly in double precision, for rows small enough to write out.
    static func directKL(base: [Double], model: [Double]) -> Double {
        func logSoftmax(_ x: [Double]) -> [Double] {
            let m = x.max()!
            let lse = log(x.map { exp($0 - m) }.reduce(0, +)) + m
            return x.map { $0 - lse }
        }
        let lp = logSoftmax(base), lq = logSoftmax(model)
        return zip(lp, lq).reduce(0) { $0 + exp($1.0) * ($1.0 - $1.1) }
    }

    @Test("one position: the stored row's KL divergence, top token and perplexities are the direct ones")
    func onePosition() throws {
        let base: [Float] = [2.0, 0.5, -1.0, 3.0, 0.0, -2.5, 1.5]
        let model: [Float] = [1.5, 0.7, -0.5, 2.0, 0.3, -2.0, 2.5]
        let row = base.withUnsafeBufferPointer { LlamaLogitsFile.quantizedRow($0) }
        var acc = KLDivergenceAccumulator()
        let kld = row.withUnsafeBufferPointer { r in
            model.withUnsafeBufferPointer { m in
                acc.add(logits: m, baseScale: Float(bitPattern: UInt32(r[0]) | UInt32(r[1]) << 16),
                        baseMinLogProb: Float(bitPattern: UInt32(r[2]) | UInt32(r[3]) << 16),
                        base: UnsafeBufferPointer(rebasing: r[4 ..< 4 + base.count]), token: 1)
            }
        }
        let expected = Self.directKL(base: base.map(Double.init), model: model.map(Double.init))
        #expect(abs(kld - expected) < 1e-4, "\(kld) against \(expected)")
        let r = acc.result(chunks: 1, seconds: 0)
        #expect(r.sameTop == 0)  // base's top is token 3, the model's token 6
        let lq = Double(model[1]) - log(model.map { exp(Double($0)) }.reduce(0, +))
        #expect(abs(r.perplexity - exp(-lq)) / exp(-lq) < 1e-5)
    }

    @Test("a model against a base file written from its own logits: no divergence, every top token the same")
    func selfComparison() throws {
        let model = try Model(path: try TestPaths.model(TestPaths.models[0]))
        let context = 64, chunks = 2
        let text = try String(contentsOfFile: "/usr/share/common-licenses/Apache-2.0", encoding: .utf8)
        let tokens = Array(model.tokenizer.encode(text).prefix(context * chunks))
        let backend = try CPUBackend(model: model, slots: 1, context: context, maxBatchTokens: context)
        let vocab = model.config.vocabularySize
        var rows: [[UInt16]] = []
        var logits = [Float](repeating: 0, count: context * vocab)
        for chunk in 0 ..< chunks {
            var batch = Batch()
            for p in 0 ..< context {
                let id = p == 0 && model.tokenizer.addsBOS ? model.tokenizer.bos : tokens[chunk * context + p]
                batch.append(token: id, position: p, slot: 0, wantLogits: p >= context / 2 && p < context - 1)
            }
            try logits.withUnsafeMutableBufferPointer { try backend.forward(batch, logits: $0) }
            for r in 0 ..< batch.logitRows.count {
                rows.append(logits.withUnsafeBufferPointer {
                    LlamaLogitsFile.quantizedRow(UnsafeBufferPointer(rebasing: $0[(r * vocab) ..< ((r + 1) * vocab)]))
                })
            }
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vkserve-kld-\(getpid()).bin").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try LlamaLogitsFile.write(to: path, context: context, vocabularySize: vocab, tokens: tokens, rows: rows)
        let base = try LlamaLogitsFile(path: path)
        #expect(base.chunks == chunks && base.rowsPerChunk == context - 1 - context / 2)
        let fresh = try CPUBackend(model: model, slots: 1, context: context, maxBatchTokens: context)
        let r = try Perplexity.klDivergence(backend: fresh, base: base)
        #expect(r.positions == chunks * base.rowsPerChunk)
        #expect(r.meanKLD < 1e-5, "\(r.meanKLD)")
        #expect(r.sameTop == 1)
        #expect(abs(r.logPerplexityRatio) < 1e-4)

        // A truncated or foreign file is refused with the reason.
        let cut = path + ".cut"
        defer { try? FileManager.default.removeItem(atPath: cut) }
        try Data(try Data(contentsOf: URL(fileURLWithPath: path)).prefix(1000)).write(to: URL(fileURLWithPath: cut))
        #expect(throws: EngineError.self) { try LlamaLogitsFile(path: cut) }
    }
}
