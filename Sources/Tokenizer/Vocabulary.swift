import GGUF

/// A model's vocabulary as its GGUF metadata describes it: token texts, scores and types,
/// the special-token ids and the flags that steer tokenization.
public struct Vocabulary: Sendable {
    /// The tokenization algorithm, from `tokenizer.ggml.model`.
    public enum Model: String, Sendable, Equatable {
        /// Byte-level BPE (GPT-2 family).
        case bpe = "gpt2"
        /// SentencePiece-style score-based merging (llama, gemma).
        case sentencePiece = "llama"
        /// BPE over raw UTF-8 with U+2581 for spaces and `<0xXX>` byte tokens (Gemma 4).
        case gemma4 = "gemma4"
    }

    public let model: Model
    /// `tokenizer.ggml.pre`, or `default` when absent.
    public let preTokenizer: String
    /// Token texts exactly as stored (BPE texts are in GPT-2's byte-to-unicode alphabet; SentencePiece
    /// texts have U+2581 for spaces).
    public let tokens: [String]
    /// Merge scores (SentencePiece); zeros when the model has none.
    public let scores: [Float]
    /// Token kinds. Tokens that end generation are reported as `.control`, as llama.cpp does.
    public let types: [TokenType]
    public let bos: Int32?
    public let eos: Int32?
    public let unknown: Int32?
    public let padding: Int32?
    /// Whether `encode(addSpecial: true)` starts with BOS / ends with EOS.
    public let addBOS: Bool
    public let addEOS: Bool
    /// Whether SentencePiece text gets a leading space (`tokenizer.ggml.add_space_prefix`).
    public let addSpacePrefix: Bool
    /// Ids that end generation: EOS, EOT/EOM when declared, and tokens llama.cpp recognises by text.
    public let endOfGeneration: Set<Int32>

    let table: ByteStringTable

    /// Token texts llama.cpp treats as end-of-generation wherever they appear in a vocabulary.
    static let endOfGenerationTexts: Set<[UInt8]> = Set([
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<end_of_turn>", "<|endoftext|>",
        "<|eom_id|>", "<EOT>", "_<EOT>", "<|end_of_text|>", "<end_of_utterance>", "<|flush|>", "<|calls|>", "</s>",
        "[EOT]", "[EOS]", "<eos>", "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~[",
    ].map { Array($0.utf8) })

    public var count: Int { tokens.count }

    /// Reads the vocabulary from a model file's metadata.
    public init(file: GGUFFile) throws(TokenizerError) {
        try self.init(metadata: file.metadata, source: file.path)
    }

    /// Reads the vocabulary from GGUF metadata; `source` names the model in error messages.
    public init(metadata: [String: GGUFValue], source: String = "model") throws(TokenizerError) {
        let reader = MetadataReader(metadata: metadata, source: source)
        let modelName = try reader.string("tokenizer.ggml.model")
        guard let model = Model(rawValue: modelName) else {
            throw TokenizerError(.unsupportedModel, "\(source): tokenizer.ggml.model '\(modelName)' is not supported "
                + "(supported: gpt2 for byte-level BPE, llama for SentencePiece, gemma4 for Gemma 4's BPE)")
        }
        self.model = model
        preTokenizer = try reader.optionalString("tokenizer.ggml.pre") ?? "default"

        let tokens = try reader.strings("tokenizer.ggml.tokens")
        guard !tokens.isEmpty else {
            throw TokenizerError(.malformedVocabulary, "\(source): tokenizer.ggml.tokens is empty")
        }
        guard tokens.count < Int(Int32.max) else {
            throw TokenizerError(.malformedVocabulary, "\(source): \(tokens.count) tokens is more than a 32-bit id can hold")
        }
        self.tokens = tokens
        let n = tokens.count

        if let raw = try reader.optionalFloats("tokenizer.ggml.scores") {
            guard raw.count == n else {
                throw TokenizerError(.malformedVocabulary, "\(source): tokenizer.ggml.scores has \(raw.count) entries "
                    + "but tokenizer.ggml.tokens has \(n)")
            }
            scores = raw.map { Float($0) }
        } else {
            scores = [Float](repeating: 0, count: n)
        }

        var types: [TokenType]
        if let raw = try reader.optionalIntegers("tokenizer.ggml.token_type") {
            guard raw.count == n else {
                throw TokenizerError(.malformedVocabulary, "\(source): tokenizer.ggml.token_type has \(raw.count) entries "
                    + "but tokenizer.ggml.tokens has \(n)")
            }
            types = []
            types.reserveCapacity(n)
            for (i, value) in raw.enumerated() {
                guard let type = UInt8(exactly: value).flatMap(TokenType.init(rawValue:)) else {
                    throw TokenizerError(.malformedVocabulary, "\(source): token \(i) ('\(tokens[i])') has token type "
                        + "\(value); known types are 0 to 6")
                }
                types.append(type)
            }
        } else {
            types = [TokenType](repeating: .normal, count: n)
        }

        func tokenID(_ key: String) throws(TokenizerError) -> Int32? {
            guard let id = try reader.optionalInt(key) else { return nil }
            // Some converters write -1 (as u32 0xFFFFFFFF) for "none".
            if id < 0 || id == Int(UInt32.max) { return nil }
            guard id < n else {
                throw TokenizerError(.malformedVocabulary, "\(source): \(key) is \(id) but the vocabulary has only \(n) tokens")
            }
            return Int32(id)
        }
        // llama.cpp's defaults when the ids are not in the metadata.
        let defaults: (bos: Int32?, eos: Int32?, unk: Int32?) = switch model {
        case .sentencePiece: (1, 2, 0)
        case .bpe: (11, 11, nil)
        case .gemma4: (nil, nil, nil)
        }
        func fallback(_ id: Int32?) -> Int32? { id.flatMap { Int($0) < n ? $0 : nil } }
        bos = try tokenID("tokenizer.ggml.bos_token_id") ?? fallback(defaults.bos)
        eos = try tokenID("tokenizer.ggml.eos_token_id") ?? fallback(defaults.eos)
        unknown = try tokenID("tokenizer.ggml.unknown_token_id") ?? fallback(defaults.unk)
        padding = try tokenID("tokenizer.ggml.padding_token_id")
        let eot = try tokenID("tokenizer.ggml.eot_token_id")
        let eom = try tokenID("tokenizer.ggml.eom_token_id")

        let isLlama3 = preTokenizer == "llama3" || preTokenizer == "llama-bpe"
        // llama.cpp adds BOS for every Gemma 4 vocabulary, whatever the file says.
        let fileAddsBOS = try reader.optionalBool("tokenizer.ggml.add_bos_token")
        addBOS = model == .gemma4 || (fileAddsBOS ?? (model == .sentencePiece || isLlama3))
        addEOS = try reader.optionalBool("tokenizer.ggml.add_eos_token") ?? false
        addSpacePrefix = try reader.optionalBool("tokenizer.ggml.add_space_prefix") ?? (model == .sentencePiece)

        table = ByteStringTable(tokens)

        var eog = Set<Int32>()
        for (i, token) in tokens.enumerated() {
            // Cheap pre-check: every such text starts with '<', '_' or '['.
            guard let first = token.utf8.first,
                  first == UInt8(ascii: "<") || first == UInt8(ascii: "_") || first == UInt8(ascii: "["),
                  Self.endOfGenerationTexts.contains(Array(token.utf8)) else { continue }
            eog.insert(Int32(i))
            types[i] = .control
        }
        for id in [eos, eot, eom] { if let id { eog.insert(id) } }
        endOfGeneration = eog
        self.types = types
    }

    /// The id of the token whose text is byte-for-byte `text`.
    public func id(of text: String) -> Int32? { table.find(text) }

    /// The stored text of a token, or nil for an id outside the vocabulary.
    public func text(of id: Int32) -> String? {
        Int(id) >= 0 && Int(id) < tokens.count ? tokens[Int(id)] : nil
    }

    public func type(of id: Int32) -> TokenType? {
        Int(id) >= 0 && Int(id) < types.count ? types[Int(id)] : nil
    }
}

/// Typed access to metadata with messages that name the model and key.
struct MetadataReader {
    let metadata: [String: GGUFValue]
    let source: String

    func value(_ key: String) -> GGUFValue? { metadata[key] }

    private func wrongType(_ key: String, _ value: GGUFValue, _ expected: String) -> TokenizerError {
        TokenizerError(.malformedVocabulary, "\(source): metadata key '\(key)' is \(value.typeName), expected \(expected)")
    }

    func string(_ key: String) throws(TokenizerError) -> String {
        guard let s = try optionalString(key) else {
            throw TokenizerError(.missingMetadata, "\(source): metadata key '\(key)' is missing; "
                + "the model file has no usable tokenizer")
        }
        return s
    }

    func optionalString(_ key: String) throws(TokenizerError) -> String? {
        guard let v = metadata[key] else { return nil }
        guard let s = v.string else { throw wrongType(key, v, "a string") }
        return s
    }

    func optionalInt(_ key: String) throws(TokenizerError) -> Int? {
        guard let v = metadata[key] else { return nil }
        guard let i = v.int else { throw wrongType(key, v, "an integer") }
        return i
    }

    func optionalBool(_ key: String) throws(TokenizerError) -> Bool? {
        guard let v = metadata[key] else { return nil }
        if let b = v.bool { return b }
        if let i = v.int { return i != 0 }
        throw wrongType(key, v, "a bool")
    }

    func strings(_ key: String) throws(TokenizerError) -> [String] {
        guard let s = try optionalStrings(key) else {
            throw TokenizerError(.missingMetadata, "\(source): metadata key '\(key)' is missing; "
                + "the model file has no usable tokenizer")
        }
        return s
    }

    func optionalStrings(_ key: String) throws(TokenizerError) -> [String]? {
        guard let v = metadata[key] else { return nil }
        guard let a = v.array, let s = a.strings ?? (a.count == 0 ? [] : nil) else {
            throw wrongType(key, v, "an array of strings")
        }
        return s
    }

    func optionalFloats(_ key: String) throws(TokenizerError) -> [Double]? {
        guard let v = metadata[key] else { return nil }
        guard let a = v.array, let f = a.floats ?? (a.count == 0 ? [] : nil) else {
            throw wrongType(key, v, "an array of numbers")
        }
        return f
    }

    func optionalIntegers(_ key: String) throws(TokenizerError) -> [Int64]? {
        guard let v = metadata[key] else { return nil }
        guard let a = v.array, let i = a.integers ?? (a.count == 0 ? [] : nil) else {
            throw wrongType(key, v, "an array of integers")
        }
        return i
    }
}
