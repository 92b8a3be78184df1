import Foundation
import GGUF
import Testing
import Tokenizer

/// Load and encode figures, printed for the record (speed targets live in benchmarks), plus a
/// round trip over a large mixed text.
@Suite struct ThroughputTests {
    static let sample: String = {
        let paragraph = """
            The quick brown fox jumps over the lazy dog; it's 3.14159 o'clock, and we'll see 1,234,567 llamas 🦙. \
            Café naïve façade — "quoted" text, tabs\tand\nnewlines\n\n   indented code: def f(x): return x**2 \
            日本語のテキストと한국어 텍스트, Ελληνικά, русский текст. <|im_start|>user <start_of_turn>
            """
        return String(repeating: paragraph + "\n", count: 20000 / paragraph.utf8.count + 1)
    }()

    @Test(arguments: Fixtures.models)
    func loadAndEncodeTimings(model: String) throws {
        let clock = ContinuousClock()
        let path = try Fixtures.modelPath(model)
        var file: GGUFFile?
        let parse = try clock.measure { file = try GGUFFile(path: path) }
        var tokenizer: Tokenizer?
        let build = try clock.measure { tokenizer = try Tokenizer(file: file!) }
        var ids: [Int32] = []
        let encode = clock.measure { ids = tokenizer!.encode(Self.sample) }
        print("[tokenizer] \(model): GGUF parse \(parse), tokenizer build \(build), "
            + "encode \(Self.sample.utf8.count) bytes → \(ids.count) tokens in \(encode)")
        // Without BOS, and with special tokens spelled out, the text comes back exactly.
        let unspecial = tokenizer!.encode(Self.sample, addSpecial: false)
        #expect(tokenizer!.decode(unspecial, renderSpecial: true) == Self.sample)
    }

    /// The tokenizer is shared by many threads at once.
    @Test(arguments: Fixtures.models)
    func concurrentEncodingAgrees(model: String) async throws {
        let tokenizer = try Fixtures.tokenizer(model)
        let expected = tokenizer.encode(Self.sample)
        let results = await withTaskGroup(of: [Int32].self) { group in
            for _ in 0 ..< 4 { group.addTask { tokenizer.encode(Self.sample) } }
            var all: [[Int32]] = []
            for await r in group { all.append(r) }
            return all
        }
        #expect(results.allSatisfy { $0 == expected })
    }
}
