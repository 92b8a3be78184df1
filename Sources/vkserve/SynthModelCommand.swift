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
            llama3.1, qwen2, qwen3) with FILE's tokenizer and the tensor names and metadata llama.cpp's \
            converter writes, in mixed block types; llama.cpp runs it, so its outputs are a reference for A \
            (scripts/compare/arch-references.sh).
            """)

    @Option(help: "Architecture of a small fidelity model: \(SyntheticArchitecture.Variant.allCases.map(\.rawValue).joined(separator: ", ")).")
    var arch: String?
    @Option(help: "With --arch: the GGUF file (a model or a ggml-vocab file) whose tokenizer the model takes.")
    var vocab: String?

    @Option(help: "Hidden size.") var hidden = 4096
    @Option(help: "Layers.") var layers = 32
    @Option(help: "Feed-forward size.") var ffn = 11008
    @Option(help: "Attention heads.") var heads = 32
    @Option(help: "Key/value heads.") var kvHeads = 32
    @Option(help: "Block type of the matrices: Q4_K, Q6_K, Q8_0, Q4_0 or F16.") var type = "Q4_K"
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
            try SyntheticArchitecture(variant: variant, seed: seed).write(to: output, vocabulary: try GGUFFile(path: vocab))
            print("\(output): synthetic \(variant.rawValue) model with the tokenizer of \(vocab)")
            return
        }
        guard let t = GGMLType(name: type), SyntheticModel.supportedTypes.contains(t) else {
            throw ValidationError("--type must be one of \(SyntheticModel.supportedTypes.map { "\($0)" }.joined(separator: ", "))")
        }
        let spec = SyntheticModel(hidden: hidden, layers: layers, ffn: ffn, heads: heads, kvHeads: kvHeads,
                                  matrixType: t, seed: seed)
        let started = Date()
        let bytes = try spec.write(to: output, tokenizerSource: try tokenizerFrom.map { try GGUFFile(path: $0) })
        print(String(format: "%@: %.2f GB of %@ weights in %.1f s", output, Double(bytes) / 1e9, "\(t)",
                     Date().timeIntervalSince(started)))
    }
}
