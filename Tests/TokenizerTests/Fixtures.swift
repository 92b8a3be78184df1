import Foundation
import GGUF
import Testing
import Tokenizer

/// Locations of the real models and llama.cpp goldens, found from this file's path:
/// `<root>/Tests/TokenizerTests/Fixtures.swift`.
enum Fixtures {
    static let smolLM = "SmolLM2-135M-Instruct.Q4_1.gguf"
    static let gemma = "gemma-3-270m-q4_k_m.gguf"
    static let models = [smolLM, gemma]

    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let goldenPath = root.appendingPathComponent("../shared/golden/llamacpp-goldens.json").standardized.path

    struct FixtureMissing: Error, CustomStringConvertible {
        let description: String
    }

    static func modelPath(_ name: String) throws -> String {
        let path = root.appendingPathComponent("models/\(name)").path
        guard FileManager.default.fileExists(atPath: path) else {
            throw FixtureMissing(description: "model \(path) is missing: run scripts/fetch-models.sh")
        }
        return path
    }

    /// A file under the repository root (a model, a ggml-vocab file), which must exist.
    static func repositoryFile(_ relative: String) throws -> String {
        let path = root.appendingPathComponent(relative).path
        guard FileManager.default.fileExists(atPath: path) else {
            throw FixtureMissing(description: "\(path) is missing: run scripts/fetch-models.sh and scripts/fetch-test-data.sh")
        }
        return path
    }

    /// Each model's tokenizer, built once per test process.
    private static let tokenizers: [String: Result<Tokenizer, any Error>] = {
        var out: [String: Result<Tokenizer, any Error>] = [:]
        for name in models {
            out[name] = Result { try Tokenizer(file: try GGUFFile(path: try modelPath(name))) }
        }
        return out
    }()

    static func tokenizer(_ name: String) throws -> Tokenizer {
        try tokenizers[name]!.get()
    }

    /// Token bytes as the golden file gives them: a string, or an array of bytes when not valid UTF-8.
    struct Piece: Decodable, Sendable {
        let bytes: [UInt8]

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { bytes = Array(s.utf8) } else { bytes = try c.decode([UInt8].self) }
        }
    }

    struct TokenizationCase: Decodable, Sendable {
        let text: String
        let ids: [Int32]
        let idsNoBOS: [Int32]
        let idsParseSpecialFalse: [Int32]?
        /// Each token's bytes as llama.cpp's server rendered them (special tokens as their text).
        let pieces: [Piece]

        enum CodingKeys: String, CodingKey {
            case text, ids, pieces
            case idsNoBOS = "ids_no_bos"
            case idsParseSpecialFalse = "ids_parse_special_false"
        }
    }

    struct CompletionCase: Decodable, Sendable {
        let prompt: String
        let promptIDs: [Int32]
        let generatedIDs: [Int32]
        let generatedText: String

        enum CodingKeys: String, CodingKey {
            case prompt
            case promptIDs = "prompt_ids"
            case generatedIDs = "generated_ids"
            case generatedText = "generated_text"
        }
    }

    struct ModelInfo: Decodable, Sendable {
        let addBOS: Bool
        let bos: Int32
        let eos: Int32

        enum CodingKeys: String, CodingKey {
            case addBOS = "add_bos_token"
            case bos = "bos_token_id"
            case eos = "eos_token_id"
        }
    }

    struct Golden: Decodable, Sendable {
        let models: [String: ModelInfo]
        let tokenization: [String: [TokenizationCase]]
        let completions: [String: [CompletionCase]]
    }

    private static let goldenResult: Result<Golden, any Error> = Result {
        guard let data = FileManager.default.contents(atPath: goldenPath) else {
            throw FixtureMissing(description: "golden file \(goldenPath) is missing")
        }
        return try JSONDecoder().decode(Golden.self, from: data)
    }

    static func golden() throws -> Golden { try goldenResult.get() }

    static func tokenizationCases(_ model: String) throws -> [TokenizationCase] {
        try #require(try golden().tokenization[model])
    }

    static func completionCases(_ model: String) throws -> [CompletionCase] {
        try #require(try golden().completions[model])
    }

    static func modelInfo(_ model: String) throws -> ModelInfo {
        try #require(try golden().models[model])
    }
}
