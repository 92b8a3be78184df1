import Foundation
import GGUF
import Testing
import Tokenizer

/// llama.cpp ships vocabularies as GGUF files with no tensors that end right after their metadata
/// (models/ggml-vocab-*.gguf); such a file must parse and tokenize like the model it came from.
@Suite("vocabulary-only files")
struct VocabularyOnlyFileTests {
    @Test("a copy of a model's metadata with no tensors and no padding tokenizes like the model", arguments: Fixtures.models)
    func vocabularyOnly(model: String) throws {
        let source = try GGUFFile(path: try Fixtures.modelPath(model))
        let metadata = source.keys.map { ($0, source.metadata[$0]!) }
        // An odd-length string makes the metadata end off the 32-byte alignment, so padding would be needed.
        var bare: [UInt8] = []
        for filler in 1 ... 32 {
            let padded = try GGUFWriter(metadata: metadata + [("test.filler", .string(String(repeating: "x", count: filler)))])
                .serialized()
            // Where the metadata ends: the shortest prefix that still parses.
            var end = padded.count
            while end > 0, (try? GGUFFile(bytes: Array(padded[0 ..< end - 1]))) != nil { end -= 1 }
            if end < padded.count { bare = Array(padded[0 ..< end]); break }
        }
        #expect(!bare.isEmpty, "no unpadded copy parsed")
        let file = try GGUFFile(bytes: bare)
        #expect(file.tensors.isEmpty)
        let vocabOnly = try Tokenizer(file: file)
        let original = try Fixtures.tokenizer(model)
        for text in ["Hello world", " \n\tcafé 1234567 — 日本語 🦙", "<|im_start|>user\nhi<|im_end|>"] {
            #expect(vocabOnly.encode(text) == original.encode(text), "\(text)")
            #expect(vocabOnly.encode(text, addSpecial: false, parseSpecial: false)
                == original.encode(text, addSpecial: false, parseSpecial: false), "\(text)")
        }
    }
}
