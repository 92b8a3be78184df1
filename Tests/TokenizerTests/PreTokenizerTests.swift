import GGUF
import Testing
import Tokenizer

/// The pre-tokenizer patterns, observed through synthetic vocabularies in which each listed word
/// has a merge chain: a piece the splitter keeps whole comes out as one token.
@Suite struct PreTokenizerTests {
    /// A BPE tokenizer whose vocabulary holds each byte plus `words` (with merge chains), so the
    /// result shows how the text was split: a whole word is one token, a split one is several.
    static func tokenizer(pre: String, words: [String]) throws -> Tokenizer {
        let alphabet = (0 ..< 256).map { b -> String in
            // GPT-2 byte alphabet.
            let printable = (0x21 ... 0x7E).contains(b) || (0xA1 ... 0xAC).contains(b) || (0xAE ... 0xFF).contains(b)
            return printable ? String(Unicode.Scalar(UInt8(b))) : ""
        }
        var scalarFor = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for b in 0 ..< 256 {
            if alphabet[b].isEmpty { scalarFor[b] = next; next += 1 } else { scalarFor[b] = UInt32(b) }
        }
        func encode(_ s: String) -> [String] { s.utf8.map { String(Unicode.Scalar(scalarFor[Int($0)])!) } }
        var tokens = (0 ..< 256).map { String(Unicode.Scalar(scalarFor[$0])!) }
        var merges: [String] = []
        var known = Set(tokens)
        for word in words {
            let chars = encode(word)
            var acc = chars[0]
            for c in chars.dropFirst() {
                merges.append(acc + " " + c)
                acc += c
                if known.insert(acc).inserted { tokens.append(acc) }
            }
        }
        return try Tokenizer(metadata: [
            "tokenizer.ggml.model": .string("gpt2"),
            "tokenizer.ggml.pre": .string(pre),
            "tokenizer.ggml.tokens": .array(.strings(tokens)),
            "tokenizer.ggml.merges": .array(.strings(merges)),
        ], source: "synthetic")
    }

    func pieces(_ t: Tokenizer, _ text: String) -> [String] {
        t.encode(text, addSpecial: false).map { String(decoding: t.tokenBytes($0), as: UTF8.self) }
    }

    @Test func llama3GroupsDigitsInThreesAndKeepsContractionsCaseInsensitive() throws {
        let t = try Self.tokenizer(pre: "llama3", words: ["12345", "45", "'S", "don", " you", "Hi", "!\n\n", "\n\n"])
        #expect(pieces(t, "12345") == ["123", "45"])
        #expect(pieces(t, "don'S you") == ["don", "'S", " you"])
        #expect(pieces(t, "Hi!\n\n") == ["Hi", "!\n\n"])
    }

    @Test func qwen2SplitsEveryDigit() throws {
        let t = try Self.tokenizer(pre: "qwen2", words: ["12", "ab"])
        #expect(pieces(t, "12ab") == ["1", "2", "ab"])
    }

    @Test func gpt2KeepsDigitRunsAndSpaces() throws {
        let t = try Self.tokenizer(pre: "gpt2", words: ["123", " 45", "  ", " x"])
        #expect(pieces(t, "123 45") == ["123", " 45"])
        #expect(pieces(t, "   x") == ["  ", " x"])
    }

    @Test func smollmSplitsDigitsFirst() throws {
        let t = try Self.tokenizer(pre: "smollm", words: ["123", " 1", "x1"])
        #expect(pieces(t, "123") == ["1", "2", "3"])
        #expect(pieces(t, "x1") == ["x", "1"])
    }

    @Test func defaultSplitsPunctuationAndDigitTriples() throws {
        let t = try Self.tokenizer(pre: "default", words: ["1234", "123", "a.b", ".", "ab"])
        #expect(pieces(t, "1234") == ["123", "4"])
        #expect(pieces(t, "a.b") == ["a", ".", "b"])
    }
}
