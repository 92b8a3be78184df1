import ArgumentParser
import Engine
import Foundation
import GGUF

struct SynthModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth-model",
        abstract: "Write a GGUF file with random weights: a large llama shape for speed, or a small model of one architecture for fidelity.",
        discussion: """
            Without --arch: a llama-shaped file whose default shape is Llama-2 7B's (hidden 4096, 32 layers, \
            FFN 11008, 32 heads) in Q4_K, 3.9 GB. Its outputs are meaningless; its weight reads are those of a \
            real 7B model.

            With --arch A --vocab FILE: a small model (hidden 256, 2 layers) of architecture A (llama, \
            llama3.1, qwen2, qwen3, phi3, gemma2) with FILE's tokenizer and the tensor names and metadata \
            llama.cpp's converter writes, in mixed block types; llama.cpp runs it, so its outputs are a \
            reference for A (scripts/compare/arch-references.py). With --arch, the shape options and --type \
            give another shape with every matrix in one block type, to compare the architectures' speed at \
            one size (scripts/bench-architectures.sh).
            """)

    @Option(help: "Architecture of a small fidelity model: \(SyntheticArchitecture.Variant.allCases.map(\.rawValue).joined(separator: ", ")).")
    var arch: String?
    @Option(help: "With --arch: the GGUF file (a model or a ggml-vocab file) whose tokenizer the model takes.")
    var vocab: String?

    @Option(help: "Hidden size (default 4096; with --arch 256).") var hidden: Int?
    @Option(help: "Layers (default 32; with --arch 2).") var layers: Int?
    @Option(help: "Feed-forward size (default 11008; with --arch 512).") var ffn: Int?
    @Option(help: "Attention heads (default 32; with --arch 4).") var heads: Int?
    @Option(help: "Key/value heads (default 32; with --arch 2).") var kvHeads: Int?
    @Option(help: "Block type of the matrices: Q4_K, Q6_K, Q8_0, Q4_0 or F16 (default Q4_K; with --arch, a mix).")
    var type: String?
    @Option(help: "Seed of the random weights.") var seed: UInt64 = 1
    @Option(help: "GGUF file whose tokenizer the synthetic model takes (default: a synthetic 32000-token vocabulary).")
    var tokenizerFrom: String?
    @Argument(help: "Output file.") var output: String

    func run() throws {
        if let arch {
            guard let variant = SyntheticArchitecture.Variant(rawValue: arch) else {
                throw ValidationError("--arch must be one of \(SyntheticArchitecture.Variant.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard let vocab else { throw ValidationError("--arch needs --vocab FILE (a GGUF file with a tokenizer)") }
            var model = SyntheticArchitecture(variant: variant, seed: seed)
            if let hidden { model.hidden = hidden }
            if let layers { model.layers = layers }
            if let ffn { model.ffn = ffn }
            if let heads { model.heads = heads }
            if let kvHeads { model.kvHeads = kvHeads }
            if let type { model.matrixType = try Self.matrixType(type) }
            guard model.hidden > 0, model.layers > 0, model.ffn > 0, model.heads > 0, model.kvHeads > 0,
                  model.hidden % model.heads == 0, model.heads % model.kvHeads == 0, (model.hidden / model.heads) % 2 == 0
            else {
                throw ValidationError("the shape needs positive sizes, --hidden a multiple of --heads with an even head size, "
                    + "and --heads a multiple of --kv-heads")
            }
            try model.write(to: output, vocabulary: try GGUFFile(path: vocab))
            print("\(output): synthetic \(variant.rawValue) model with the tokenizer of \(vocab)")
            return
        }
        let t = try Self.matrixType(type ?? "Q4_K")
        let spec = SyntheticModel(hidden: hidden ?? 4096, layers: layers ?? 32, ffn: ffn ?? 11008, heads: heads ?? 32,
                                  kvHeads: kvHeads ?? 32, matrixType: t, seed: seed)
        let started = Date()
        let bytes = try spec.write(to: output, tokenizerSource: try tokenizerFrom.map { try GGUFFile(path: $0) })
        print(String(format: "%@: %.2f GB of %@ weights in %.1f s", output, Double(bytes) / 1e9, "\(t)",
                     Date().timeIntervalSince(started)))
    }

    static func matrixType(_ name: String) throws -> GGMLType {
        guard let t = GGMLType(name: name), SyntheticModel.supportedTypes.contains(t) else {
            throw ValidationError("--type must be one of \(SyntheticModel.supportedTypes.map { "\($0)" }.joined(separator: ", "))")
        }
        return t
    }
}
