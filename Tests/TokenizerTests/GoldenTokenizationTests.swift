import Testing
import Tokenizer

/// Tokenization against llama.cpp's own output for the two real models.
@Suite struct GoldenTokenizationTests {
    @Test(arguments: Fixtures.models)
    func specialTokenIDsMatchMetadata(model: String) throws {
        let tokenizer = try Fixtures.tokenizer(model)
        let info = try Fixtures.modelInfo(model)
        #expect(tokenizer.bos == info.bos)
        #expect(tokenizer.eos == info.eos)
        #expect(tokenizer.vocabulary.addBOS == info.addBOS)
        #expect(tokenizer.isEndOfGeneration(tokenizer.eos))
        #expect(tokenizer.addsBOS == info.addBOS)
    }

    @Test(arguments: Fixtures.models)
    func encodeMatchesLlamaCpp(model: String) throws {
        let tokenizer = try Fixtures.tokenizer(model)
        for c in try Fixtures.tokenizationCases(model) {
            #expect(tokenizer.encode(c.text) == c.ids, "text \(c.text.debugDescription)")
            #expect(tokenizer.encode(c.text, addSpecial: false) == c.idsNoBOS, "text \(c.text.debugDescription)")
            if let expected = c.idsParseSpecialFalse {
                #expect(tokenizer.encode(c.text, parseSpecial: false) == expected, "text \(c.text.debugDescription)")
            }
        }
    }

    @Test(arguments: Fixtures.models)
    func promptIDsMatchLlamaCpp(model: String) throws {
        let tokenizer = try Fixtures.tokenizer(model)
        for c in try Fixtures.completionCases(model) {
            #expect(tokenizer.encode(c.prompt) == c.promptIDs, "prompt \(c.prompt.debugDescription)")
        }
    }

    @Test(arguments: Fixtures.models)
    func decodeReproducesText(model: String) throws {
        let tokenizer = try Fixtures.tokenizer(model)
        for c in try Fixtures.tokenizationCases(model) {
            #expect(tokenizer.decode(c.idsNoBOS, renderSpecial: true) == c.text, "text \(c.text.debugDescription)")
            #expect(c.pieces.count == c.ids.count)
            for (id, piece) in zip(c.ids, c.pieces) {
                #expect(tokenizer.tokenBytes(id, renderSpecial: true) == piece.bytes, "token \(id) in \(c.text.debugDescription)")
            }
        }
        for c in try Fixtures.completionCases(model) {
            #expect(tokenizer.decode(c.promptIDs) == c.prompt)
        }
    }

    @Test(arguments: Fixtures.models)
    func controlTokensRenderOnlyWhenAsked(model: String) throws {
        let tokenizer = try Fixtures.tokenizer(model)
        let bos = tokenizer.bos
        #expect(tokenizer.tokenBytes(bos).isEmpty)
        #expect(tokenizer.tokenBytes(bos, renderSpecial: true) == Array(tokenizer.vocabulary.text(of: bos)!.utf8))
        #expect(tokenizer.tokenBytes(-1).isEmpty)
        #expect(tokenizer.tokenBytes(Int32(tokenizer.vocabularySize)).isEmpty)
    }

    @Test func endOfGenerationIncludesTurnEnds() throws {
        let smol = try Fixtures.tokenizer(Fixtures.smolLM)
        #expect(smol.isEndOfGeneration(smol.vocabulary.id(of: "<|im_end|>")!))
        #expect(smol.isEndOfGeneration(smol.vocabulary.id(of: "<|endoftext|>")!))
        #expect(!smol.isEndOfGeneration(smol.vocabulary.id(of: "<|im_start|>")!))
        let gemma = try Fixtures.tokenizer(Fixtures.gemma)
        #expect(gemma.isEndOfGeneration(gemma.vocabulary.id(of: "<end_of_turn>")!))
        #expect(gemma.isEndOfGeneration(1))
        #expect(!gemma.isEndOfGeneration(gemma.vocabulary.id(of: "<start_of_turn>")!))
    }

    /// Vocabulary lookups are byte-exact: gemma has tokens that differ only in Unicode normalization.
    @Test func lookupDistinguishesNormalizationForms() throws {
        let gemma = try Fixtures.tokenizer(Fixtures.gemma)
        let composed = "\u{E9}", decomposed = "e\u{301}"
        let a = gemma.encode(composed, addSpecial: false), b = gemma.encode(decomposed, addSpecial: false)
        #expect(a != b)
        #expect(gemma.decode(a).utf8.elementsEqual(composed.utf8))
        #expect(gemma.decode(b).utf8.elementsEqual(decomposed.utf8))
    }
}
