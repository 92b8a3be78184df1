/// The regex steps llama.cpp runs through `std::regex` rather than a hand-written splitter
/// (deepseek-llm, deepseek-coder, gemma4), as match lengths at a position.
///
/// llama.cpp runs a regex that names a Unicode category (`\p{L}`) over a "collapsed" text in which
/// every non-ASCII code point stands for its category, so there `\s` is Unicode whitespace. A regex
/// without one runs as a `std::wregex` in the C locale, where `\s` is ASCII whitespace only and a
/// range compares code points; llama.cpp first turns every non-ASCII whitespace code point into a
/// vertical tab, so such a code point matches `\s` and no range (U+3000 is in deepseek's ranges, but
/// not once it is a tab). Those steps look at `wide(c)`.
extension PreTokenizer {
    /// The length of the run of code points from `pos` (before `end`) that satisfy `member`.
    @inline(__always)
    static func run(_ cps: UnsafeBufferPointer<UInt32>, _ pos: Int, _ end: Int, _ member: (UInt32) -> Bool) -> Int {
        var p = pos
        while p < end && member(cps[p]) { p += 1 }
        return p - pos
    }

    /// `S?X+` at `pos`: an optional space then a run of X; 0 when there is no match.
    @inline(__always)
    static func spaceThenRun(
        _ cps: UnsafeBufferPointer<UInt32>, _ pos: Int, _ end: Int, space: (UInt32) -> Bool, _ member: (UInt32) -> Bool
    ) -> Int {
        if space(cps[pos]), pos + 1 < end, member(cps[pos + 1]) { return 1 + run(cps, pos + 1, end, member) }
        return run(cps, pos, end, member)
    }

    /// The match length of one of the regex steps at `pos`, 0 for none.
    static func matchLength(_ step: Step, _ cps: UnsafeBufferPointer<UInt32>, _ pos: Int, _ end: Int) -> Int {
        let unicodeSpace: (UInt32) -> Bool = { CodepointClass.of($0).contains(.whitespace) }
        switch step {
        case .lineBreaks:
            return cps[pos] == 0x0A || cps[pos] == 0x0D ? 1 : 0
        case .cjkRuns:
            return run(cps, pos, end) { c in
                let c = wide(c)
                return (0x0800 ... 0x9FA5).contains(c) || (0xAC00 ... 0xD7FF).contains(c)
            }
        case .spaceThenLetters:
            return spaceThenRun(cps, pos, end, space: unicodeSpace) { CodepointClass.of($0).contains(.letter) }
        case .spaceThenPunctuation:
            return spaceThenRun(cps, pos, end, space: unicodeSpace) { CodepointClass.of($0).contains(.punctuation) }
        case .spaceThenCasedLetters:
            return spaceThenRun(cps, pos, end, space: { isASCIISpace(wide($0)) }, { isCasedLetter(wide($0)) })
        case .spaceThenDeepSeekSymbols:
            return spaceThenRun(cps, pos, end, space: { isASCIISpace(wide($0)) }) { c in
                let c = wide(c)
                return (0x21 ... 0x2F).contains(c) || (0x3A ... 0x7E).contains(c) || (0xFF01 ... 0xFF0F).contains(c)
                    || (0xFF1A ... 0xFF5E).contains(c) || (0x2018 ... 0x201F).contains(c) || (0x3000 ... 0x3002).contains(c)
            }
        case .trailingSpaces:
            // Leftmost match: the whitespace run that reaches the piece's end.
            let n = run(cps, pos, end) { isASCIISpace(wide($0)) }
            return n > 0 && pos + n == end ? n : 0
        case .newlineRuns:
            let newline = cps[pos] == 0x0A
            return run(cps, pos, end) { ($0 == 0x0A) == newline }
        case .isolateNumbers, .gpt2, .llama3, .punctuationRuns, .numberRuns, .asciiDigitTriples:
            preconditionFailure("\(step) is split by its own routine")
        }
    }

    /// The code point a wide regex sees: non-ASCII whitespace as a vertical tab.
    @inline(__always)
    static func wide(_ c: UInt32) -> UInt32 { c > 0x7F && CodepointClass.of(c).contains(.whitespace) ? 0x0B : c }

    /// `\s` of a wide regex in the C locale: tab, line feed, vertical tab, form feed, carriage return, space.
    @inline(__always)
    static func isASCIISpace(_ c: UInt32) -> Bool { c == 0x20 || (0x09 ... 0x0D).contains(c) }

    /// Whether `c` is in deepseek-llm's letter class (the cased letters: Unicode's `LC`, as its
    /// tokenizer.json spells them out).
    static func isCasedLetter(_ c: UInt32) -> Bool {
        if c < 0x80 { return (0x41 ... 0x5A).contains(c) || (0x61 ... 0x7A).contains(c) }
        var lo = 0, hi = casedLetterRanges.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if casedLetterRanges[mid].last < c { lo = mid + 1 } else { hi = mid }
        }
        return lo < casedLetterRanges.count && casedLetterRanges[lo].first <= c
    }

    /// Sorted, disjoint ranges of deepseek-llm's letter class beyond ASCII.
    static let casedLetterRanges: [(first: UInt32, last: UInt32)] = [
        (0x00B5, 0x00B5), (0x00C0, 0x00D6), (0x00D8, 0x00F6), (0x00F8, 0x01BA), (0x01BC, 0x01BF),
        (0x01C4, 0x0293), (0x0295, 0x02AF), (0x0370, 0x0373), (0x0376, 0x0377), (0x037B, 0x037D),
        (0x037F, 0x037F), (0x0386, 0x0386), (0x0388, 0x038A), (0x038C, 0x038C), (0x038E, 0x03A1),
        (0x03A3, 0x03F5), (0x03F7, 0x0481), (0x048A, 0x052F), (0x0531, 0x0556), (0x10A0, 0x10C5),
        (0x13A0, 0x13F5), (0x13F8, 0x13FD), (0x1C90, 0x1CBA), (0x1CBD, 0x1CBF), (0x1D00, 0x1D2B),
        (0x1D6B, 0x1D77), (0x1D79, 0x1D9A), (0x1E00, 0x1F15), (0x1F18, 0x1F1D), (0x1F20, 0x1F45),
        (0x1F48, 0x1F4D), (0x1F50, 0x1F57), (0x1F59, 0x1F59), (0x1F5B, 0x1F5B), (0x1F5D, 0x1F5D),
        (0x1F5F, 0x1F7D), (0x1F80, 0x1FB4), (0x1FB6, 0x1FBC), (0x1FBE, 0x1FBE), (0x1FC2, 0x1FC4),
        (0x1FC6, 0x1FCC), (0x1FD0, 0x1FD3), (0x1FD6, 0x1FDB), (0x1FE0, 0x1FEC), (0x1FF2, 0x1FF4),
        (0x1FF6, 0x1FFC), (0x2102, 0x2102), (0x2107, 0x2107), (0x210A, 0x2113), (0x2115, 0x2115),
        (0x2119, 0x211D), (0x2124, 0x2124), (0x2126, 0x2126), (0x2128, 0x2128), (0x212A, 0x212D),
        (0x212F, 0x2134), (0x2139, 0x2139), (0x213C, 0x213F), (0x2145, 0x2149), (0x214E, 0x214E),
        (0x2183, 0x2184), (0x2C00, 0x2C7B), (0x2C7E, 0x2CE4), (0x2CEB, 0x2CEE), (0x2CF2, 0x2CF3),
        (0xA640, 0xA66D), (0xA680, 0xA69B), (0xA722, 0xA76F), (0xA771, 0xA787), (0xA78B, 0xA78E),
        (0xAB70, 0xABBF), (0xFB00, 0xFB06), (0xFB13, 0xFB17), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A),
        (0x10400, 0x1044F), (0x104B0, 0x104D3), (0x104D8, 0x104FB), (0x10C80, 0x10CB2), (0x10CC0, 0x10CF2),
        (0x118A0, 0x118DF), (0x1E900, 0x1E943),
    ]
}
