import Foundation
import Testing

/// Paths of the repository, its models and the shared llama.cpp goldens.
enum TestPaths {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let golden = root.deletingLastPathComponent().appendingPathComponent("shared/golden")

    static func model(_ name: String) throws -> String {
        let path = root.appendingPathComponent("models/\(name)").path
        guard FileManager.default.fileExists(atPath: path) else {
            Issue.record("model \(name) is missing: run scripts/fetch-models.sh")
            throw CancellationError()
        }
        return path
    }

    static let models = ["SmolLM2-135M-Instruct.Q4_1.gguf", "gemma-3-270m-q4_k_m.gguf"]
}

struct GoldenCompletion: Decodable {
    let prompt: String
    let prompt_ids: [Int32]
    let generated_ids: [Int32]
    let generated_text: String
}

struct Goldens: Decodable {
    let completions: [String: [GoldenCompletion]]

    static func load() throws -> Goldens {
        let data = try Data(contentsOf: TestPaths.golden.appendingPathComponent("llamacpp-goldens.json"))
        return try JSONDecoder().decode(Goldens.self, from: data)
    }
}

struct PerplexityGolden: Decodable {
    let context: Int
    let perplexity: [String: Double]

    static func load() throws -> PerplexityGolden {
        let data = try Data(contentsOf: TestPaths.golden.appendingPathComponent("llamacpp-perplexity.json"))
        return try JSONDecoder().decode(PerplexityGolden.self, from: data)
    }
}
