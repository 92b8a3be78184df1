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

    /// Opens `path`; `chatTemplate` names a chat layout that replaces the one the model's template gives.
    public init(path: String, chatTemplate: String? = nil) throws(EngineError) {
        let file: GGUFFile
        do { file = try GGUFFile(path: path) } catch {
            throw EngineError(.unsupportedModel, error.description)
        }
        self.file = file
        config = try ModelConfig(file: file)
        weights = try ModelWeights(file: file, config: config)
        func factors(_ t: GGUFTensorInfo?) throws(EngineError) -> [Float]? {
            guard let t else { return nil }
            let values: [Float]
            do { values = try file.floats(of: t) } catch {
                throw EngineError(.unsupportedModel, "\(path): \(t.name): \(error)")
            }
            guard values.allSatisfy({ $0.isFinite && $0 > 0 }) else {
                throw EngineError(.unsupportedModel, "\(path): \(t.name) holds a value that is not a positive number")
            }
            return values
        }
        let global = try factors(weights.ropeFactors)
        let short = try factors(weights.ropeFactorsShort)
        let long = try factors(weights.ropeFactorsLong)
        graph = ForwardGraph(config: config, weights: weights, ropeFactors: global ?? short, longRopeFactors: long)
        do { tokenizer = try Tokenizer(file: file, chatTemplate: chatTemplate) } catch {
            throw EngineError(.unsupportedModel, "\(path): tokenizer: \(error)")
        }
        name = String(path.split(separator: "/").last ?? Substring(path))
    }
}
