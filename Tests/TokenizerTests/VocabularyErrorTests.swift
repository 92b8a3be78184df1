import GGUF
import Testing
import Tokenizer

/// A broken vocabulary is refused with a message that names the model and what is wrong.
@Suite struct VocabularyErrorTests {
    /// A tiny valid byte-level BPE vocabulary: "a", "b", "ab" and one merge.
    static func bpeMetadata() -> [String: GGUFValue] {
        [
            "general.architecture": .string("llama"),
            "tokenizer.ggml.model": .string("gpt2"),
            "tokenizer.ggml.pre": .string("gpt2"),
            "tokenizer.ggml.tokens": .array(.strings(["a", "b", "ab", "<|endoftext|>"])),
            "tokenizer.ggml.token_type": .array(.integers([1, 1, 1, 3], typeName: "i32")),
            "tokenizer.ggml.merges": .array(.strings(["a b"])),
            "tokenizer.ggml.eos_token_id": .uint32(3),
            "tokenizer.ggml.bos_token_id": .uint32(3),
        ]
    }

    func error(_ metadata: [String: GGUFValue]) -> TokenizerError? {
        do {
            _ = try Tokenizer(metadata: metadata, source: "test.gguf")
            return nil
        } catch {
            return error
        }
    }

    @Test func tinyVocabularyWorks() throws {
        let tokenizer = try Tokenizer(metadata: Self.bpeMetadata(), source: "test.gguf")
        #expect(tokenizer.encode("abba") == [2, 1, 0])
        #expect(tokenizer.encode("ab<|endoftext|>") == [2, 3])
        #expect(tokenizer.decode([2, 1, 0]) == "abba")
        #expect(throws: ChatTemplateError.self) { try tokenizer.chatTemplate.get() }
        #expect(throws: ChatTemplateError.self) { try tokenizer.encodeChat([.user("hi")]) }
    }

    @Test func missingTokensArray() throws {
        var m = Self.bpeMetadata()
        m["tokenizer.ggml.tokens"] = nil
        let e = try #require(error(m))
        #expect(e.code == .missingMetadata)
        #expect(e.message.contains("test.gguf") && e.message.contains("tokenizer.ggml.tokens"))
    }

    @Test func missingModel() throws {
        var m = Self.bpeMetadata()
        m["tokenizer.ggml.model"] = nil
        #expect(error(m)?.code == .missingMetadata)
    }

    @Test func mergeWithUnknownToken() throws {
        var m = Self.bpeMetadata()
        m["tokenizer.ggml.merges"] = .array(.strings(["a b", "ab c"]))
        let e = try #require(error(m))
        #expect(e.code == .invalidMerge)
        #expect(e.message.contains("merges[1]") && e.message.contains("'c'"), "\(e.message)")
    }

    @Test func mergeWithoutSeparator() throws {
        var m = Self.bpeMetadata()
        m["tokenizer.ggml.merges"] = .array(.strings(["ab"]))
        #expect(error(m)?.code == .invalidMerge)
    }

    @Test func missingMergesForBPE() throws {
        var m = Self.bpeMetadata()
        m["tokenizer.ggml.merges"] = nil
        #expect(error(m)?.code == .missingMetadata)
    }

    @Test func arraysOfDifferentLengths() throws {
        var m = Self.bpeMetadata()
        m["tokenizer.ggml.token_type"] = .array(.integers([1, 1], typeName: "i32"))
        let e = try #require(error(m))
        #expect(e.code == .malformedVocabulary)
        #expect(e.message.contains("token_type has 2 entries"), "\(e.message)")
    }

    @Test func unknownTokenType() throws {
        var m = Self.bpeMetadata()
        m["tokenizer.ggml.token_type"] = .array(.integers([1, 1, 9, 3], typeName: "i32"))
        #expect(error(m)?.code == .malformedVocabulary)
    }

    @Test func specialIDOutsideVocabulary() throws {
        var m = Self.bpeMetadata()
        m["tokenizer.ggml.eos_token_id"] = .uint32(99)
        let e = try #require(error(m))
        #expect(e.code == .malformedVocabulary)
        #expect(e.message.contains("eos_token_id is 99"), "\(e.message)")
    }

    @Test func wrongValueType() throws {
        var m = Self.bpeMetadata()
        m["tokenizer.ggml.tokens"] = .string("a b")
        #expect(error(m)?.code == .malformedVocabulary)
    }

    @Test func unsupportedModelAndPreTokenizer() throws {
        var m = Self.bpeMetadata()
        m["tokenizer.ggml.model"] = .string("bert")
        #expect(error(m)?.code == .unsupportedModel)
        m = Self.bpeMetadata()
        m["tokenizer.ggml.pre"] = .string("no-such-pre")
        let e = try #require(error(m))
        #expect(e.code == .unsupportedModel)
        #expect(e.message.contains("no-such-pre"))
    }
}
