import CPUBackend
import Engine
import Foundation
import Testing
import TestHarness

/// The CPU backend's own contract, on the real models: how a step is cut into batches, which slot a token
/// lands in and how many threads compute it do not change the logits; a bad batch is refused and leaves the
/// cache usable. (How close the logits are to llama.cpp's is `EngineTests`' subject.)
@Suite("CPU backend", .serialized)
struct CPUBackendTests {
    static let models = ["SmolLM2-135M-Instruct.Q4_1.gguf", "gemma-3-270m-q4_k_m.gguf"]
    static let prompt: [Int32] = [1, 423, 1734, 253, 980, 28, 665, 338, 253, 1345, 2010, 30, 10, 7]

    static func model(_ name: String) throws -> Model {
        let path = Paths.root.appendingPathComponent("models/\(name)").path
        guard FileManager.default.fileExists(atPath: path) else {
            throw TestFailure("model \(name) is missing: run scripts/fetch-models.sh")
        }
        return try Model(path: path)
    }

    /// The logits of the last token of each listed (slot, tokens) run, all in one step.
    static func step(_ backend: CPUBackend, _ runs: [(slot: Int, start: Int, tokens: [Int32])]) throws -> [[Float]] {
        var batch = Batch()
        for run in runs {
            for (i, t) in run.tokens.enumerated() {
                batch.append(token: t, position: run.start + i, slot: run.slot, wantLogits: i == run.tokens.count - 1)
            }
        }
        let vocab = backend.model.config.vocabularySize
        var logits = [Float](repeating: .nan, count: runs.count * vocab)
        try logits.withUnsafeMutableBufferPointer { try backend.forward(batch, logits: $0) }
        return (0 ..< runs.count).map { Array(logits[$0 * vocab ..< ($0 + 1) * vocab]) }
    }

    /// The largest difference between two logit vectors, relative to the largest logit's magnitude.
    static func distance(_ a: [Float], _ b: [Float]) -> Float {
        let scale = max(a.map(abs).max() ?? 1, 1)
        return zip(a, b).map { abs($0 - $1) }.max()! / scale
    }

    static func argmax(_ a: [Float]) -> Int { a.indices.max { a[$0] < a[$1] }! }

    @Test("a prompt in one step gives the logits it gives token by token", arguments: models)
    func batchedEqualsStepwise(name: String) throws {
        let model = try Self.model(name)
        let whole = try CPUBackend(model: model, slots: 1, context: 64, threads: 2)
        let batched = try Self.step(whole, [(0, 0, Self.prompt)])[0]
        let single = try CPUBackend(model: model, slots: 1, context: 64, threads: 2)
        var stepwise: [Float] = []
        for (i, t) in Self.prompt.enumerated() { stepwise = try Self.step(single, [(0, i, [t])])[0] }
        #expect(!batched.contains { !$0.isFinite })
        #expect(Self.argmax(batched) == Self.argmax(stepwise))
        // The batched path multiplies through the tiled GEMM, the single token through the GEMV; both sum
        // the same int8 products per block (identical on this machine's AVX2 and AVX-512 paths; different
        // prompts are 0.6-1.0 apart on this scale).
        #expect(Self.distance(batched, stepwise) < 1e-4, "\(name): \(Self.distance(batched, stepwise))")
    }

    @Test("sequences in different slots of one step do not see each other", arguments: models)
    func slotsAreIsolated(name: String) throws {
        let model = try Self.model(name)
        let other: [Int32] = [1, 504, 3156, 8879, 314, 1345, 28, 14, 9, 2]
        let shared = try CPUBackend(model: model, slots: 3, context: 64, threads: 2)
        // Slot 1 is filled first with the other prompt, then both continue in one step: slot 2 gets a
        // prompt of its own in that step.
        _ = try Self.step(shared, [(1, 0, other)])
        let together = try Self.step(shared, [(0, 0, Self.prompt), (2, 0, other), (1, other.count, [42])])
        let alone = try CPUBackend(model: model, slots: 1, context: 64, threads: 2)
        let promptAlone = try Self.step(alone, [(0, 0, Self.prompt)])[0]
        let otherAlone = try Self.step(alone, [(0, 0, other)])[0]
        let continued = try Self.step(alone, [(0, other.count, [42])])[0]
        #expect(Self.distance(together[0], promptAlone) < 1e-4)
        #expect(Self.distance(together[1], otherAlone) < 1e-4)
        #expect(Self.distance(together[2], continued) < 1e-4)
        #expect(Self.argmax(together[0]) == Self.argmax(promptAlone))
    }

    @Test("one thread and two compute the same logits", arguments: models)
    func threadCountInvariant(name: String) throws {
        let model = try Self.model(name)
        let one = try Self.step(try CPUBackend(model: model, slots: 1, context: 64, threads: 1), [(0, 0, Self.prompt)])[0]
        let two = try Self.step(try CPUBackend(model: model, slots: 1, context: 64, threads: 2), [(0, 0, Self.prompt)])[0]
        #expect(Self.distance(one, two) < 1e-5, "\(name): \(Self.distance(one, two))")
    }

    @Test("a bad batch is refused as an invalid request and the backend computes on")
    func badBatches() throws {
        let model = try Self.model(Self.models[0])
        let vocab = model.config.vocabularySize
        let backend = try CPUBackend(model: model, slots: 2, context: 16, threads: 2, maxBatchTokens: 8)
        let before = try Self.step(backend, [(0, 0, Array(Self.prompt.prefix(4)))])[0]
        func refused(_ tokens: [Int32], positions: [Int], slot: Int, logitFloats: Int? = nil) -> EngineError? {
            var batch = Batch()
            for (t, p) in zip(tokens, positions) { batch.append(token: t, position: p, slot: slot, wantLogits: true) }
            var logits = [Float](repeating: 0, count: logitFloats ?? tokens.count * vocab)
            do {
                try logits.withUnsafeMutableBufferPointer { try backend.forward(batch, logits: $0) }
                return nil
            } catch { return error as? EngineError }
        }
        let cases: [(String, EngineError?)] = [
            ("token past the vocabulary", refused([Int32(vocab)], positions: [4], slot: 0)),
            ("negative token", refused([-1], positions: [4], slot: 0)),
            ("slot that does not exist", refused([5], positions: [0], slot: 2)),
            ("position past the context", refused([5], positions: [16], slot: 0)),
            ("batch over maxBatchTokens", refused(Array(repeating: 5, count: 9), positions: Array(4 ..< 13), slot: 0)),
            ("logits buffer too small", refused([5], positions: [4], slot: 0, logitFloats: vocab - 1)),
        ]
        for (what, error) in cases {
            #expect(error?.code == .invalidRequest, "\(what): \(String(describing: error))")
        }
        #expect(throws: EngineError.self) { try CPUBackend(model: model, slots: 0) }
        #expect(throws: EngineError.self) { try CPUBackend(model: model, context: 0) }
        // The refused steps touched nothing: the same prompt again gives the same logits.
        #expect(Self.distance(try Self.step(backend, [(0, 0, Array(Self.prompt.prefix(4)))])[0], before) == 0)
    }

    @Test("parallelFor runs every index exactly once", arguments: [0, 1, 2, 7, 1000])
    func parallelForCoversEachIndex(count: Int) throws {
        let backend = try CPUBackend(model: try Self.model(Self.models[0]), slots: 1, context: 8, threads: 2)
        let hits = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(count, 1))
        defer { hits.deallocate() }
        hits.initialize(repeating: 0)
        backend.parallelFor(count) { hits[$0] += 1 }
        #expect(hits.prefix(count).allSatisfy { $0 == 1 })
    }
}
