import Engine
import TestHarness
import Testing

extension StopMatcherTests {
    @Test("a stop string split over many pieces, starting in held-back text, is cut before")
    func splitOverPieces() {
        var m = StopMatcher(["<|end|>"])
        var out = ""
        for piece in ["Done", "<", "|", "en", "d", "|> trailing"] { out += m.feed(piece) }
        #expect(m.stopped && out == "Done")
        #expect(m.feed("more") == "" && m.flush() == "")
    }

    @Test("overlapping prefixes: the KMP fall back finds a match that starts inside a failed partial one")
    func overlappingPrefixes() {
        var a = StopMatcher(["aab"])
        #expect(a.feed("xaaab") == "xa" && a.stopped)

        var b = StopMatcher(["abab"])
        var out = ""
        for piece in ["ab", "a", "ab", "ab", "zz"] { out += b.feed(piece) }
        #expect(out == "aba" && b.stopped)

        // Held back while it may still become the stop string, released once it cannot.
        var c = StopMatcher(["abc"])
        #expect(c.feed("xab") == "x")
        #expect(c.feed("ab") == "ab")
        #expect(c.feed("x") == "abx")
        #expect(c.flush() == "" && !c.stopped)
    }

    @Test("of matches ending in one piece the one starting first wins; a nested one ends the text when it comes first")
    func nestedStops() {
        var together = StopMatcher(["abcd", "bc"])
        #expect(together.feed("zabcd") == "z")
        var apart = StopMatcher(["abcd", "bc"])
        #expect(apart.feed("zab") == "z")
        #expect(apart.feed("c") == "a" && apart.stopped)
    }

    @Test("multi-byte text: cuts and hold-backs fall between characters")
    func multiByte() {
        var m = StopMatcher(["é!", "日本"])
        #expect(m.feed("café") == "caf")
        #expect(m.feed(" ok") == "é ok")
        #expect(m.feed("日") == "")
        #expect(m.feed("本語") == "" && m.stopped)

        var n = StopMatcher(["😀x"])
        #expect(n.feed("a😀") == "a")
        #expect(n.feed("y") == "😀y")
        #expect(n.flush() == "")
    }

    @Test("the limits: 16 strings, 256 bytes each, none empty")
    func limits() {
        #expect(StopMatcher.problem(with: (0 ..< 16).map { "\($0)" }) == nil)
        #expect(StopMatcher.problem(with: (0 ..< 17).map { "\($0)" })?.contains("at most 16") == true)
        #expect(StopMatcher.problem(with: [String(repeating: "é", count: 128)]) == nil)
        let long = StopMatcher.problem(with: ["a", String(repeating: "é", count: 129)])
        #expect(long?.contains("string 1 is 258 bytes") == true)
        #expect(StopMatcher.problem(with: ["a", ""])?.contains("string 1 is empty") == true)
    }

    @Test("100k tokens against 16 stop strings of 256 bytes: work linear in the output, held-back text bounded")
    func linearInOutput() {
        // Every stop string is 255 × "a" then one other letter: a run of "a" keeps all sixteen partially matched
        // at full length, the case that made the old matcher rescan everything held back on every token.
        let letters = Array("bcdefghijklmnopq")
        let stops = letters.map { String(repeating: "a", count: 255) + String($0) }
        var m = StopMatcher(stops)
        var out = 0
        var fed = 0
        for i in 0 ..< 100_000 {
            let token = i % 1000 == 999 ? "az" : "aaa"
            fed += token.utf8.count
            out += m.feed(token).utf8.count
            // Never more than a stop string's length minus one is held back.
            #expect(fed - out <= 255)
            if fed - out > 255 { break }
        }
        out += m.flush().utf8.count
        #expect(out == fed && !m.stopped)
        // KMP: at most two transitions per byte per stop string, amortized.
        #expect(m.transitions <= 2 * fed * stops.count, "\(m.transitions) transitions for \(fed) bytes")
    }

    @Test("random text, stops and chunking agree with matching the whole text at once")
    func agreesWithReference() {
        var rng = SplitMix64(seed: 42)
        for _ in 0 ..< 2000 {
            let alphabet = ["a", "b", "c"]
            let stops = (0 ..< Int.random(in: 1 ... 3, using: &rng)).map { _ in
                (0 ..< Int.random(in: 1 ... 4, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }.joined()
            }
            var pieces: [String] = []
            for _ in 0 ..< Int.random(in: 1 ... 12, using: &rng) {
                pieces.append((0 ..< Int.random(in: 1 ... 3, using: &rng))
                    .map { _ in alphabet.randomElement(using: &rng)! }.joined())
            }
            var m = StopMatcher(stops)
            var out = ""
            for p in pieces { out += m.feed(p) }
            out += m.flush()
            #expect(out == Self.reference(stops, pieces), "stops \(stops), pieces \(pieces)")
        }
    }

    /// The text before the earliest-starting stop string among those that end in the first piece in which any
    /// ends; all the text when none does.
    static func reference(_ stops: [String], _ pieces: [String]) -> String {
        var text: [Character] = []
        for piece in pieces {
            let before = text.count
            text += Array(piece)
            var best: Int?
            for s in stops.map(Array.init) where s.count <= text.count {
                for start in 0 ... (text.count - s.count) where start + s.count > before {
                    if Array(text[start ..< start + s.count]) == s, best.map({ start < $0 }) ?? true { best = start }
                }
            }
            if let best { return String(text[..<best]) }
        }
        return String(text)
    }
}
