/// Why a tokenizer could not be built from a model's metadata.
/// The message names the model file and the metadata key at fault, so an operator can tell a
/// damaged or unsupported model from a bug.
public struct TokenizerError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable, Equatable {
        /// A metadata key the tokenizer needs is absent (for example `tokenizer.ggml.tokens`).
        case missingMetadata
        /// A metadata value has the wrong type or an impossible value (arrays of different lengths,
        /// a special-token id outside the vocabulary, an unknown token type).
        case malformedVocabulary
        /// A BPE merge rule is unreadable or names a token that is not in the vocabulary.
        case invalidMerge
        /// `tokenizer.ggml.model` or `tokenizer.ggml.pre` names an algorithm this build does not implement.
        case unsupportedModel
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
