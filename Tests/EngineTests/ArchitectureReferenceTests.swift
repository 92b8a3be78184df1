import CPUBackend
import Engine
import EngineFixtures
import Foundation
import GGUF
import Testing

@Suite("architectures against llama.cpp (synthetic models, real vocabularies)")
struct ArchitectureReferenceTests {
    @Test("CPU perplexity within 1 % of llama.cpp's", arguments: SyntheticArchitecture.Variant.allCases)
    func perplexity(variant: SyntheticArchitecture.Variant) throws {
        let (model, entry, refs) = try ArchitectureReferences.model(variant)
        let backend = try CPUBackend(model: model, slots: 1, context: refs.context, maxBatchTokens: refs.context)
        let r = try Perplexity.evaluate(backend: backend, tokens: try refs.tokens(model), context: refs.context)
        print("synthetic \(variant.rawValue): perplexity \(r.perplexity) (llama.cpp \(entry.perplexity)), \(r.chunks) chunks")
        #expect(r.chunks == refs.chunks)
        #expect(abs(r.perplexity - entry.perplexity) / entry.perplexity < 0.01,
                "\(variant.rawValue): \(r.perplexity) against llama.cpp's \(entry.perplexity)")
    }
}

@Suite("unknown architectures and tensor layouts are refused")
struct UnknownLayoutTests {
    /// A copy of `file` that claims to be `arch` (its `OLD.*` keys renamed).
    static func relabel(_ file: GGUFFile, as arch: String, to path: String) throws {
        let old = try file.string("general.architecture")
        var writer = GGUFWriter(metadata: file.keys.map { key in
            let value = key == "general.architecture" ? GGUFValue.string(arch) : file.metadata[key]!
            return (key.hasPrefix(old + ".") ? arch + key.dropFirst(old.count) : key, value)
        })
        for t in file.tensors {
            try writer.addTensor(name: t.name, type: t.type, shape: t.shape, bytes: Array(file.data(of: t)))
        }
        try writer.write(to: path)
    }

    static func loadError(_ variant: SyntheticArchitecture.Variant, as arch: String) throws -> EngineError? {
        let refs = try #require(try? ArchitectureReferences.loaded())
        let vocab = ArchitectureReferences.root.appendingPathComponent(refs.models[variant.rawValue]!.vocab).path
        let dir = FileManager.default.temporaryDirectory.path
        let original = "\(dir)/vkserve-layout-\(getpid())-a.gguf", relabelled = "\(dir)/vkserve-layout-\(getpid())-b.gguf"
        defer {
            try? FileManager.default.removeItem(atPath: original)
            try? FileManager.default.removeItem(atPath: relabelled)
        }
        try SyntheticArchitecture(variant: variant).write(to: original, vocabulary: try GGUFFile(path: vocab))
        try relabel(try GGUFFile(path: original), as: arch, to: relabelled)
        do {
            _ = try Model(path: relabelled)
            return nil
        } catch {
            return error
        }
    }

    @Test("an architecture the engine does not run is named with the supported list")
    func unknownArchitecture() throws {
        let e = try #require(try Self.loadError(.llama, as: "mpt"))
        #expect(e.code == .unsupportedModel)
        #expect(e.message.contains("architecture 'mpt' is not supported"), "\(e.message)")
        #expect(e.message.contains("llama, qwen2, qwen3, phi3, gemma2, gemma3"), "\(e.message)")
    }

    @Test("a tensor the architecture does not read is refused by name, not ignored")
    func unknownTensor() throws {
        // qwen3's q/k norms in a file labelled qwen2: running it would silently skip the norms.
        let e = try #require(try Self.loadError(.qwen3, as: "qwen2"))
        #expect(e.code == .unsupportedModel)
        #expect(e.message.contains("'blk.0.attn_q_norm.weight'"), "\(e.message)")
        // Llama 3.1's rope_freqs belongs to llama files only.
        let f = try #require(try Self.loadError(.llama31, as: "qwen2"))
        #expect(f.message.contains("'rope_freqs.weight'"), "\(f.message)")
    }
}
