import ArgumentParser
import Engine
import Foundation
import GenerationTypes

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Generate text from a prompt, streamed as it is produced.")

    @OptionGroup var backend: BackendOptions

    @Option(help: "Most tokens to generate.")
    var maxTokens: Int = 128

    @Option(help: "Sampling temperature; 0 is greedy.")
    var temperature: Float = 0.8

    @Option(help: "Top-k (0: off).")
    var topK: Int = 40

    @Option(help: "Top-p (1: off).")
    var topP: Float = 0.95

    @Option(help: "Min-p (0: off).")
    var minP: Float = 0.05

    @Option(help: "Repetition penalty (1: off).")
    var repeatPenalty: Float = 1.0

    @Option(help: "Random seed.")
    var seed: UInt64?

    @Option(help: "KV-cache context in tokens.")
    var context: Int = 2048

    @Option(name: .customLong("stop"), help: "A stop string (repeatable).")
    var stops: [String] = []

    @Flag(help: "Print one JSON object (ids, text, timings) instead of streaming text.")
    var json = false

    @Argument(help: "The prompt.")
    var prompt: String

    func run() throws {
        let params = Sampling(temperature: temperature, topK: topK, topP: topP, minP: minP,
                                        repeatPenalty: repeatPenalty, seed: seed)
        if let problem = params.problem { throw ValidationError(problem) }
        guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be at least 1") }
        let engine = try backend.makeBackend(context: context)
        let ids = engine.model.tokenizer.encode(prompt)
        let generator = SingleSequenceGenerator(backend: engine)
        let result = try generator.generate(promptIDs: ids, parameters: params, maxTokens: maxTokens, stop: stops) { piece in
            if !json {
                FileHandle.standardOutput.write(Data(piece.utf8))
            }
            return true
        }
        if json {
            let out = GenerateOutput(result: result, backend: engine.description)
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            print(String(decoding: try enc.encode(out), as: UTF8.self))
        } else {
            print()
            FileHandle.standardError.write(Data(String(
                format: "[%d prompt tokens at %.1f tok/s, %d generated at %.1f tok/s on %@]\n",
                result.promptIDs.count, result.promptTokensPerSecond, result.generatedIDs.count,
                result.decodeTokensPerSecond, engine.description).utf8))
        }
    }
}

struct GenerateOutput: Encodable {
    struct Timings: Encodable {
        var prompt_seconds: Double
        var decode_seconds: Double
        var prompt_tokens_per_second: Double
        var decode_tokens_per_second: Double
    }

    var prompt_ids: [Int32]
    var generated_ids: [Int32]
    var text: String
    var finish_reason: String
    var backend: String
    var timings: Timings

    init(result r: GenerationResult, backend: String) {
        prompt_ids = r.promptIDs
        generated_ids = r.generatedIDs
        text = r.text
        finish_reason = r.finishReason.rawValue
        self.backend = backend
        timings = Timings(prompt_seconds: r.promptSeconds, decode_seconds: r.decodeSeconds,
                          prompt_tokens_per_second: r.promptTokensPerSecond,
                          decode_tokens_per_second: r.decodeTokensPerSecond)
    }
}
