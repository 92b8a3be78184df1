import GGUF
import Tokenizer

/// A model opened from a GGUF file: its configuration, located weights, forward graph and tokenizer.
public final class Model: Sendable {
    public let file: GGUFFile
    public let config: ModelConfig
    public let weights: ModelWeights
    public let graph: ForwardGraph
    public let tokenizer: Tokenizer
    /// The file's base name, used as the model's id.
    public let name: String

    public init(path: String) throws(EngineError) {
        let file: GGUFFile
        do { file = try GGUFFile(path: path) } catch {
            throw EngineError(.unsupportedModel, error.description)
        }
        self.file = file
        config = try ModelConfig(file: file)
        weights = try ModelWeights(file: file, config: config)
        graph = ForwardGraph(config: config, weights: weights)
        do { tokenizer = try Tokenizer(file: file) } catch {
            throw EngineError(.unsupportedModel, "\(path): tokenizer: \(error)")
        }
        name = String(path.split(separator: "/").last ?? Substring(path))
    }
}
