import Testing
import Tokenizer

@Suite struct StreamingDetokenizerTests {
    /// Fed one id at a time, the stream spells exactly llama.cpp's generated text, and every chunk it
    /// returns is whole characters (no U+FFFD anywhere).
    @Test(arguments: Fixtures.models)
    func streamReproducesGeneratedText(model: String) throws {
        let tokenizer = try Fixtures.tokenizer(model)
        for c in try Fixtures.completionCases(model) {
            var stream = StreamingDetokenizer(tokenizer: tokenizer)
            var text = ""
            for id in c.generatedIDs {
                let chunk = stream.append(id)
                #expect(!chunk.unicodeScalars.contains("\u{FFFD}"))
                text += chunk
            }
            text += stream.finish()
            #expect(text == c.generatedText, "prompt \(c.prompt.debugDescription)")
        }
    }

    /// 🦙 is four byte tokens in both vocabularies (see the goldens); nothing comes out until the last.
    @Test(arguments: Fixtures.models)
    func emojiSplitAcrossTokensIsNeverEmittedHalf(model: String) throws {
        let tokenizer = try Fixtures.tokenizer(model)
        let ids = tokenizer.encode("a🦙b", addSpecial: false)
        #expect(ids.count >= 4, "expected the emoji to span several tokens, got \(ids)")
        var stream = StreamingDetokenizer(tokenizer: tokenizer)
        var chunks: [String] = []
        for id in ids { chunks.append(stream.append(id)) }
        chunks.append(stream.finish())
        #expect(chunks.joined() == "a🦙b")
        for chunk in chunks where !chunk.isEmpty {
            #expect(!chunk.unicodeScalars.contains("\u{FFFD}"))
            // Each chunk is either empty or starts/ends on whole characters of the original.
            #expect("a🦙b".contains(chunk))
        }
        #expect(chunks.contains { $0.contains("🦙") })
    }

    @Test func heldBackBytesAndInvalidBytes() throws {
        let gemma = try Fixtures.tokenizer(Fixtures.gemma)
        func byteToken(_ b: UInt8) -> Int32 {
            gemma.vocabulary.id(of: "<0x" + String(b, radix: 16, uppercase: true) + ">")!
        }
        var stream = StreamingDetokenizer(tokenizer: gemma)
        #expect(stream.append(byteToken(0xF0)) == "")
        #expect(stream.append(byteToken(0x9F)) == "")
        #expect(stream.pendingByteCount == 2)
        // An unfinished character at the end is flushed as a replacement character.
        #expect(stream.finish() == "\u{FFFD}")
        #expect(stream.pendingByteCount == 0)
        // A byte that can never start a character is released at once.
        #expect(stream.append(byteToken(0xFF)) == "\u{FFFD}")
        // A lead byte followed by a non-continuation byte is released with it.
        #expect(stream.append(byteToken(0xE2)) == "")
        #expect(stream.append(byteToken(0x41)) == "\u{FFFD}A")
    }

    @Test func controlTokensAreSilentUnlessAsked() throws {
        let smol = try Fixtures.tokenizer(Fixtures.smolLM)
        let imEnd = smol.vocabulary.id(of: "<|im_end|>")!
        var quiet = StreamingDetokenizer(tokenizer: smol)
        #expect(quiet.append(imEnd) == "")
        var loud = StreamingDetokenizer(tokenizer: smol, renderSpecial: true)
        #expect(loud.append(imEnd) == "<|im_end|>")
    }
}
