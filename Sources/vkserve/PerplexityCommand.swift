import ArgumentParser
import Engine
import Foundation

struct PerplexityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perplexity", abstract: "Perplexity of a model on a text file, by llama.cpp's method.")

    @OptionGroup var backend: BackendOptions

    @Option(help: "Tokens per chunk.")
    var context: Int = 512

    @Argument(help: "Text file.")
    var textFile: String

    func run() throws {
        guard let data = FileManager.default.contents(atPath: textFile) else {
            throw CommandFailure("cannot read \(textFile)")
        }
        let engine = try backend.makeBackend(context: context)
        let text = String(decoding: data, as: UTF8.self)
        let tokens = engine.model.tokenizer.encode(text)
        let result = try Perplexity.evaluate(backend: engine, tokens: tokens, context: context) { done, total, ppl in
            FileHandle.standardError.write(Data(String(format: "[chunk %d/%d] running perplexity %.4f\n", done, total, ppl).utf8))
        }
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        print(String(decoding: try enc.encode(result), as: UTF8.self))
    }
}
