import Engine
import Foundation
import GGUF
import Testing

/// llama.cpp's perplexities on small synthetic models of each architecture with a real vocabulary
/// (Data/llamacpp-arch-references.json, made by scripts/compare/arch-references.py).
public struct ArchitectureReferences: Decodable, Sendable {
    public struct Entry: Decodable, Sendable {
        public let vocab: String
        public let sha256: String
        public let perplexity: Double
    }

    public let text: String
    public let context: Int
    public let chunks: Int
    public let models: [String: Entry]

    /// The repository's root, from this file's path.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static let loadedResult: Result<ArchitectureReferences, any Error> = Result {
        let url = root.appendingPathComponent("Tests/EngineTests/Data/llamacpp-arch-references.json")
        return try JSONDecoder().decode(ArchitectureReferences.self, from: Data(contentsOf: url))
    }

    /// The committed reference file.
    public static func loaded() throws -> ArchitectureReferences { try loadedResult.get() }

    /// Writes the variant's model into a temporary file (the same bytes the reference was made
    /// from, checked by hash) and returns it opened.
    public static func model(_ variant: SyntheticArchitecture.Variant) throws -> (Model, Entry, ArchitectureReferences) {
        let refs = try loaded()
        let entry = try #require(refs.models[variant.rawValue])
        let vocabPath = root.appendingPathComponent(entry.vocab).path
        guard FileManager.default.fileExists(atPath: vocabPath) else {
            Issue.record("\(vocabPath) is missing: run scripts/fetch-test-data.sh and scripts/fetch-models.sh")
            throw CancellationError()
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vkserve-synth-\(variant.rawValue)-\(getpid()).gguf").path
        try SyntheticArchitecture(variant: variant).write(to: path, vocabulary: try GGUFFile(path: vocabPath))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try sha256(path) == entry.sha256, "the synthetic \(variant.rawValue) model is not the file the reference was made from: rerun scripts/compare/arch-references.py")
        return (try Model(path: path), entry, refs)
    }

    /// The tokens llama-perplexity scores: the whole text, cut to the chunks it evaluates.
    public func tokens(_ model: Model) throws -> [Int32] {
        let text = try String(contentsOfFile: self.text, encoding: .utf8)
        return Array(model.tokenizer.encode(text).prefix(chunks * context))
    }

    static func sha256(_ path: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        p.arguments = [path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(String(decoding: data, as: UTF8.self).prefix(64))
    }
}

