import ArgumentParser
import GGUF
import Tokenizer

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize", abstract: "Print the token ids of a text as a JSON array.")

    @Option(help: "GGUF model file.")
    var model: String = "models/SmolLM2-135M-Instruct.Q4_1.gguf"

    @Flag(name: .customLong("no-bos"), help: "Do not add BOS even when the model asks for it.")
    var noBOS = false

    @Flag(name: .customLong("no-special"), help: "Treat special tokens written in the text as plain text.")
    var noSpecial = false

    @Argument(help: "The text.")
    var text: String

    func run() throws {
        let tokenizer = try Tokenizer(file: try GGUFFile(path: model))
        let ids = tokenizer.encode(text, addSpecial: !noBOS, parseSpecial: !noSpecial)
        print("[" + ids.map(String.init).joined(separator: ", ") + "]")
    }
}
