import Foundation
import GGUF
import Testing
import Tokenizer

/// llama.cpp's own tokenizer test vectors (models/ggml-vocab-NAME.gguf with .inp and .out, fetched
/// by scripts/fetch-test-data.sh), run the way its test-tokenizer-0 runs them: no BOS or EOS added,
/// special tokens written in the text not parsed.
@Suite("llama.cpp tokenizer test vectors")
struct LlamaCppVocabularyTests {
    /// Every generative-model vocabulary that llama.cpp ships cases for.
    static let vocabularies = [
        "command-r", "deepseek-coder", "deepseek-llm", "falcon", "gemma-4", "gpt-2", "llama-bpe", "llama-spm",
        "mpt", "phi-3", "qwen2", "qwen35", "refact", "starcoder",
    ]
    /// Vocabularies with cases that are not for generative models (WordPiece, for embeddings).
    static let notGenerative = ["bert-bge"]

    static let directory = Fixtures.root.appendingPathComponent("test-data/ggml-vocab").path

    struct Case {
        let text: String
        let ids: [Int32]
    }

    /// The cases of one vocabulary: texts separated by "\n__ggml_vocab_test__\n", one line of ids each.
    static func cases(_ name: String) throws -> [Case] {
        let base = "\(directory)/ggml-vocab-\(name).gguf"
        guard let inp = FileManager.default.contents(atPath: base + ".inp"),
              let out = FileManager.default.contents(atPath: base + ".out") else {
            throw Fixtures.FixtureMissing(description: "\(base).inp/.out are missing: run scripts/fetch-test-data.sh")
        }
        let raw = Array(inp)
        let separator = Array("\n__ggml_vocab_test__\n".utf8)
        var texts: [String] = []
        var start = 0
        var i = 0
        while i + separator.count <= raw.count {
            if raw[i] == separator[0], Array(raw[i ..< i + separator.count]) == separator {
                texts.append(String(decoding: raw[start ..< i], as: UTF8.self))
                i += separator.count
                start = i
            } else {
                i += 1
            }
        }
        if start < raw.count { texts.append(String(decoding: raw[start...], as: UTF8.self)) }
        var lines = String(decoding: out, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        guard lines.count == texts.count else {
            throw Fixtures.FixtureMissing(description: "\(base): \(texts.count) texts but \(lines.count) lines of ids")
        }
        return try zip(texts, lines).map { text, line in
            let ids = try line.split(separator: " ").map { field in
                guard let id = Int32(field) else { throw Fixtures.FixtureMissing(description: "\(base).out: bad id '\(field)'") }
                return id
            }
            return Case(text: text, ids: ids)
        }
    }

    @Test("every case of the vocabulary tokenizes as in llama.cpp", arguments: vocabularies)
    func vectors(name: String) throws {
        let tokenizer = try Tokenizer(file: try GGUFFile(path: "\(Self.directory)/ggml-vocab-\(name).gguf"))
        let cases = try Self.cases(name)
        #expect(cases.count >= 20, "only \(cases.count) cases")
        var failures = 0
        for c in cases {
            let ids = tokenizer.encode(c.text, addSpecial: false, parseSpecial: false)
            if ids != c.ids {
                failures += 1
                if failures <= 5 {
                    Issue.record("\(name): \(String(reflecting: c.text)) → \(ids), llama.cpp: \(c.ids)")
                }
            }
        }
        #expect(failures == 0, "\(name): \(failures) of \(cases.count) cases differ")
    }

    @Test("the test set has no vocabulary this suite does not run")
    func coversTheSet() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.directory)
        let named = Set(files.filter { $0.hasSuffix(".gguf.inp") }.map {
            String($0.dropFirst("ggml-vocab-".count).dropLast(".gguf.inp".count))
        })
        #expect(named == Set(Self.vocabularies + Self.notGenerative))
    }
}

/// Texts that stress the pre-tokenizers' edges (combining marks, CJK beside other scripts,
/// non-ASCII spaces, trailing whitespace, backticks, runs of line feeds, byte fallback) with the ids
/// llama.cpp 0c1e57098 gives them in every vocabulary of the set (Data/llamacpp-extra-cases.json,
/// made by scripts/compare/tokenizer-cases.py).
@Suite("llama.cpp tokenizations of edge cases")
struct LlamaCppEdgeCaseTests {
    struct Cases: Decodable {
        let texts: [String]
        let ids: [String: [[Int32]]]
    }

    static let cases: Result<Cases, any Error> = Result {
        let path = Fixtures.root.appendingPathComponent("Tests/TokenizerTests/Data/llamacpp-extra-cases.json").path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Fixtures.FixtureMissing(description: "\(path) is missing")
        }
        return try JSONDecoder().decode(Cases.self, from: data)
    }

    @Test("each edge case tokenizes as in llama.cpp", arguments: LlamaCppVocabularyTests.vocabularies)
    func edgeCases(name: String) throws {
        let all = try Self.cases.get()
        let expected = try #require(all.ids[name])
        try #require(expected.count == all.texts.count)
        let tokenizer = try Tokenizer(file: try GGUFFile(path: "\(LlamaCppVocabularyTests.directory)/ggml-vocab-\(name).gguf"))
        var failures = 0
        for (text, ids) in zip(all.texts, expected) {
            let got = tokenizer.encode(text, addSpecial: false, parseSpecial: false)
            if got != ids {
                failures += 1
                if failures <= 5 { Issue.record("\(name): \(String(reflecting: text)) → \(got), llama.cpp: \(ids)") }
            }
        }
        #expect(failures == 0, "\(name): \(failures) of \(all.texts.count) edge cases differ")
    }
}
