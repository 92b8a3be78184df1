/// Splits text into words before byte-level BPE, as `tokenizer.ggml.pre` selects.
///
/// Each step splits every piece the previous step produced, as llama.cpp's `unicode_regex_split`
/// applies its list of regexes; the steps are hand-written ports of llama.cpp's own splitters
/// (and of the regexes it runs through `std::regex`), so look-aheads stop at piece boundaries there too.
struct PreTokenizer: Sendable {
    enum Step: Sendable, Equatable {
        /// `\p{N}`: every number character becomes its own piece.
        case isolateNumbers
        /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`
        case gpt2
        /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?W+|\p{N}{1,N}| ?[^\s\p{N}W]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
        /// with N = 3 (llama3) or 1 (qwen2, qwen35) and W = `\p{L}`, or `[\p{L}\p{M}]` with `marks` (qwen35).
        case llama3(maxDigits: Int, marks: Bool)
        /// `[\p{P}\$\+<=>\^~\|]+`, with the backtick too for falcon.
        case punctuationRuns(backtick: Bool)
        /// `\p{N}+`
        case numberRuns
        /// `[0-9][0-9][0-9]`
        case asciiDigitTriples
        /// `[\r\n]`: each line break alone.
        case lineBreaks
        /// `[一-龥ࠀ-一가-퟿]+`: runs of CJK ideographs, other BMP scripts from U+0800, and Hangul.
        case cjkRuns
        /// `\s?\p{L}+` (deepseek-coder).
        case spaceThenLetters
        /// `\s?\p{P}+` (deepseek-coder).
        case spaceThenPunctuation
        /// `\s?[A-Za-zµÀ-Ö…]+`: the cased letters of Latin, Greek, Cyrillic and other bicameral scripts,
        /// with an ASCII space class (deepseek-llm; llama.cpp runs it as a wide std::regex).
        case spaceThenCasedLetters
        /// `\s?[!-/:-~！-／：-～‘-‟　-。]+` with an ASCII space class (deepseek-llm).
        case spaceThenDeepSeekSymbols
        /// `\s+$`: the whitespace that ends a piece, with an ASCII space class (deepseek-llm).
        case trailingSpaces
        /// `[^\n]+|[\n]+`: runs of line feeds and of everything else (gemma4).
        case newlineRuns
    }

    let name: String
    let steps: [Step]

    /// The pre-tokenizer for a `tokenizer.ggml.pre` value, or nil when this build does not know it.
    init?(name: String) {
        self.name = name
        switch name {
        case "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva":
            steps = [.isolateNumbers, .gpt2]
        case "gpt2", "gpt-2", "mpt", "olmo", "jais", "trillion", "granite-docs":
            steps = [.gpt2]
        case "default":
            // llama.cpp's default for BPE vocabularies.
            steps = [.punctuationRuns(backtick: false), .gpt2, .numberRuns, .asciiDigitTriples]
        case "llama3", "llama-bpe", "llama-v3", "falcon3", "pixtral", "falcon-h1", "dbrx", "smaug-bpe":
            steps = [.llama3(maxDigits: 3, marks: false)]
        case "qwen2", "deepseek-r1-qwen", "megrez", "stablelm2", "hunyuan", "solar-open":
            steps = [.llama3(maxDigits: 1, marks: false)]
        case "qwen35":
            steps = [.llama3(maxDigits: 1, marks: true)]
        case "falcon":
            steps = [.punctuationRuns(backtick: true), .gpt2, .asciiDigitTriples]
        case "deepseek-coder":
            steps = [.lineBreaks, .spaceThenLetters, .spaceThenPunctuation, .cjkRuns, .isolateNumbers]
        case "deepseek-llm":
            steps = [.lineBreaks, .spaceThenCasedLetters, .spaceThenDeepSeekSymbols, .trailingSpaces, .cjkRuns, .numberRuns]
        case "gemma4":
            steps = [.newlineRuns]
        default:
            return nil
        }
    }

    static let supportedNames = ["default", "gpt2", "smollm", "llama3", "llama-bpe", "qwen2", "qwen35", "falcon",
                                 "deepseek-llm", "deepseek-coder"]

    /// Splits `cps` into pieces and returns their lengths in code points.
    func split(_ cps: [UInt32]) -> [Int] {
        var lengths = cps.isEmpty ? [] : [cps.count]
        cps.withUnsafeBufferPointer { cps in
            for step in steps {
                var out: [Int] = []
                out.reserveCapacity(max(lengths.count * 2, cps.count / 3))
                var start = 0
                for length in lengths {
                    let end = start + length
                    switch step {
                    case .isolateNumbers:
                        Self.splitMatches(cps, start, end, &out) { pos in
                            CodepointClass.of(cps[pos]).contains(.number) ? 1 : 0
                        }
                    case .numberRuns:
                        Self.splitMatches(cps, start, end, &out) { pos in
                            Self.run(cps, pos, end) { CodepointClass.of($0).contains(.number) }
                        }
                    case .punctuationRuns(let backtick):
                        Self.splitMatches(cps, start, end, &out) { pos in
                            Self.run(cps, pos, end) { Self.isPunctuationOrSymbol($0) || (backtick && $0 == 0x60) }
                        }
                    case .asciiDigitTriples:
                        Self.splitMatches(cps, start, end, &out) { pos in
                            guard pos + 3 <= end else { return 0 }
                            for p in pos ..< pos + 3 where !(0x30 ... 0x39).contains(cps[p]) { return 0 }
                            return 3
                        }
                    case .gpt2:
                        Self.splitGPT2(cps, start, end, &out)
                    case .llama3(let maxDigits, let marks):
                        Self.splitLlama3(cps, start, end, maxDigits, marks ? [.letter, .mark] : .letter, &out)
                    default:
                        Self.splitMatches(cps, start, end, &out) { pos in Self.matchLength(step, cps, pos, end) }
                    }
                    start = end
                }
                lengths = out
            }
        }
        return lengths
    }

    /// `[\p{P}\$\+<=>\^~\|]`
    @inline(__always)
    static func isPunctuationOrSymbol(_ cp: UInt32) -> Bool {
        switch cp {
        case 0x24, 0x2B, 0x3C, 0x3D, 0x3E, 0x5E, 0x7E, 0x7C: return true
        default: return CodepointClass.of(cp).contains(.punctuation)
        }
    }

    /// Leftmost, non-overlapping matches of a pattern become pieces, and so does the text between them.
    /// `match(pos)` returns the length of the match starting at `pos`, 0 for none.
    @inline(__always)
    static func splitMatches(
        _ cps: UnsafeBufferPointer<UInt32>, _ start: Int, _ end: Int, _ out: inout [Int],
        _ match: (Int) -> Int
    ) {
        var pending = start
        var pos = start
        while pos < end {
            let n = match(pos)
            if n > 0 {
                if pos > pending { out.append(pos - pending) }
                out.append(n)
                pos += n
                pending = pos
            } else {
                pos += 1
            }
        }
        if end > pending { out.append(end - pending) }
    }

    /// A port of llama.cpp's `unicode_regex_split_custom_gpt2`.
    private static func splitGPT2(_ cps: UnsafeBufferPointer<UInt32>, _ start: Int, _ end: Int, _ out: inout [Int]) {
        let outOfRange = UInt32.max
        @inline(__always) func cpt(_ pos: Int) -> UInt32 { pos >= start && pos < end ? cps[pos] : outOfRange }
        // nil stands for "outside the piece", which matches no class at all.
        @inline(__always) func flags(_ pos: Int) -> CodepointClass? {
            pos >= start && pos < end ? CodepointClass.of(cps[pos]) : nil
        }
        var prevEnd = start
        @inline(__always) func addToken(_ e: Int) -> Int {
            let len = e - prevEnd
            if len > 0 { out.append(len) }
            prevEnd = e
            return len
        }
        let apostrophe = UInt32(UInt8(ascii: "'"))
        func isChar(_ c: UInt32, _ s: Unicode.Scalar) -> Bool { c == s.value }

        var pos = start
        while pos < end {
            let c = cpt(pos)
            let f = flags(pos)!

            // 's|'t|'re|'ve|'m|'ll|'d
            if c == apostrophe && pos + 1 < end {
                let next = cpt(pos + 1)
                if isChar(next, "s") || isChar(next, "t") || isChar(next, "m") || isChar(next, "d") {
                    pos += addToken(pos + 2)
                    continue
                }
                if pos + 2 < end {
                    let nn = cpt(pos + 2)
                    if (isChar(next, "r") && isChar(nn, "e")) || (isChar(next, "v") && isChar(nn, "e"))
                        || (isChar(next, "l") && isChar(nn, "l")) {
                        pos += addToken(pos + 3)
                        continue
                    }
                }
            }

            var f2 = c == 0x20 ? flags(pos + 1) : f
            // ?\p{L}+
            if f2?.contains(.letter) == true {
                if c == 0x20 { pos += 1 }
                while f2?.contains(.letter) == true {
                    pos += 1
                    f2 = flags(pos)
                }
                _ = addToken(pos)
                continue
            }
            // ?\p{N}+
            if f2?.contains(.number) == true {
                if c == 0x20 { pos += 1 }
                while f2?.contains(.number) == true {
                    pos += 1
                    f2 = flags(pos)
                }
                _ = addToken(pos)
                continue
            }
            // ?[^\s\p{L}\p{N}]+
            let wordish: CodepointClass = [.whitespace, .letter, .number]
            if let g = f2, g.isDisjoint(with: wordish) {
                if c == 0x20 { pos += 1 }
                while let g = f2, g.isDisjoint(with: wordish) {
                    pos += 1
                    f2 = flags(pos)
                }
                _ = addToken(pos)
                continue
            }

            var spaces = 0
            while flags(pos + spaces)?.contains(.whitespace) == true { spaces += 1 }
            // \s+(?!\S)
            if spaces > 1 && cpt(pos + spaces) != outOfRange {
                pos += spaces - 1
                _ = addToken(pos)
                continue
            }
            // \s+
            if spaces > 0 {
                pos += spaces
                _ = addToken(pos)
                continue
            }
            pos += 1
            _ = addToken(pos)
        }
    }

    /// A port of llama.cpp's `unicode_regex_split_custom_llama3`; `maxDigits` 1 gives qwen2's `\p{N}`,
    /// and `word` [.letter, .mark] qwen35's `[\p{L}\p{M}]` (`unicode_regex_split_custom_qwen35`).
    private static func splitLlama3(
        _ cps: UnsafeBufferPointer<UInt32>, _ start: Int, _ end: Int, _ maxDigits: Int, _ word: CodepointClass,
        _ out: inout [Int]
    ) {
        let outOfRange = UInt32.max
        @inline(__always) func cpt(_ pos: Int) -> UInt32 { pos >= start && pos < end ? cps[pos] : outOfRange }
        @inline(__always) func flags(_ pos: Int) -> CodepointClass? {
            pos >= start && pos < end ? CodepointClass.of(cps[pos]) : nil
        }
        var prevEnd = start
        @inline(__always) func addToken(_ e: Int) -> Int {
            let len = e - prevEnd
            if len > 0 { out.append(len) }
            prevEnd = e
            return len
        }
        @inline(__always) func lower(_ c: UInt32) -> UInt32 { (0x41 ... 0x5A).contains(c) ? c + 0x20 : c }
        func isChar(_ c: UInt32, _ s: Unicode.Scalar) -> Bool { c == s.value }
        let cr: UInt32 = 0x0D, lf: UInt32 = 0x0A

        var pos = start
        while pos < end {
            let c = cpt(pos)
            let f = flags(pos)!

            // (?i:'s|'t|'re|'ve|'m|'ll|'d)
            if c == 0x27 && pos + 1 < end {
                let next = lower(cpt(pos + 1))
                if isChar(next, "s") || isChar(next, "t") || isChar(next, "m") || isChar(next, "d") {
                    pos += addToken(pos + 2)
                    continue
                }
                if pos + 2 < end {
                    let nn = lower(cpt(pos + 2))
                    if (isChar(next, "r") && isChar(nn, "e")) || (isChar(next, "v") && isChar(nn, "e"))
                        || (isChar(next, "l") && isChar(nn, "l")) {
                        pos += addToken(pos + 3)
                        continue
                    }
                }
            }

            // [^\r\n\p{L}\p{N}]?\p{L}+
            if !(c == cr || c == lf || f.contains(.number)) {
                if !f.isDisjoint(with: word) || flags(pos + 1).map({ !$0.isDisjoint(with: word) }) == true {
                    pos += 1
                    while flags(pos).map({ !$0.isDisjoint(with: word) }) == true { pos += 1 }
                    _ = addToken(pos)
                    continue
                }
            }

            // \p{N}{1,maxDigits}
            if f.contains(.number) {
                var ini = pos
                while flags(pos)?.contains(.number) == true {
                    pos += 1
                    if pos - ini >= maxDigits {
                        _ = addToken(pos)
                        ini = pos
                    }
                }
                _ = addToken(pos)
                continue
            }

            // ?[^\s\p{L}\p{N}]+[\r\n]*
            let wordish = word.union([.whitespace, .number])
            var f2 = c == 0x20 ? flags(pos + 1) : f
            if let g = f2, g.isDisjoint(with: wordish) {
                if c == 0x20 { pos += 1 }
                while let g = f2, g.isDisjoint(with: wordish) {
                    pos += 1
                    f2 = flags(pos)
                }
                var c2 = cpt(pos)
                while c2 == cr || c2 == lf {
                    pos += 1
                    c2 = cpt(pos)
                }
                _ = addToken(pos)
                continue
            }

            var spaces = 0
            var lastLineEnd = 0
            while flags(pos + spaces)?.contains(.whitespace) == true {
                let c2 = cpt(pos + spaces)
                if c2 == cr || c2 == lf { lastLineEnd = pos + spaces + 1 }
                spaces += 1
            }
            // \s*[\r\n]+
            if lastLineEnd > 0 {
                pos = lastLineEnd
                _ = addToken(pos)
                continue
            }
            // \s+(?!\S)
            if spaces > 1 && cpt(pos + spaces) != outOfRange {
                pos += spaces - 1
                _ = addToken(pos)
                continue
            }
            // \s+
            if spaces > 0 {
                pos += spaces
                _ = addToken(pos)
                continue
            }
            pos += 1
            _ = addToken(pos)
        }
    }
}
