/// BPE, matching llama.cpp's `llm_tokenizer_bpe`: byte-level (`tokenizer.ggml.model = gpt2`) or over
/// raw UTF-8 with U+2581 for spaces (`gemma4`).
///
/// Text is split into words by the pre-tokenizer; each word starts as one symbol per byte (the
/// byte's GPT-2 alphabet character) or, over raw UTF-8, per character, and the adjacent pair with
/// the lowest merge rank is merged, leftmost first, until no pair has a rule. A symbol left without
/// a token falls back to its bytes' `<0xXX>` tokens.
struct BPETokenizer: Sendable {
    struct Merge: Sendable {
        let rank: Int32
        let result: Int32
    }

    let preTokenizer: PreTokenizer
    /// `left << 32 | right` → rank and merged token.
    let merges: [UInt64: Merge]
    /// The token of each byte's alphabet character, -1 where the vocabulary lacks it.
    let byteTokens: [Int32]
    /// `<0xXX>` tokens, for the rare vocabulary that has them; -1 where absent.
    let byteFallbackTokens: [Int32]
    /// llama3: a word that is itself a token is not merged (`ignore_merges`).
    let ignoresMerges: Bool
    /// gemma4: symbols are UTF-8 characters, not bytes in GPT-2's alphabet; spaces are U+2581; a run
    /// of line feeds that is itself a token is taken whole.
    let rawUTF8: Bool
    let table: ByteStringTable

    init(vocabulary: Vocabulary, merges mergeTexts: [String], source: String) throws(TokenizerError) {
        // llama.cpp gives every gemma4 vocabulary its own pre-tokenizer, whatever tokenizer.ggml.pre says.
        guard let pre = PreTokenizer(name: vocabulary.model == .gemma4 ? "gemma4" : vocabulary.preTokenizer) else {
            throw TokenizerError(.unsupportedModel, "\(source): tokenizer.ggml.pre '\(vocabulary.preTokenizer)' is not "
                + "a supported BPE pre-tokenizer (supported: \(PreTokenizer.supportedNames.joined(separator: ", ")) "
                + "and their aliases)")
        }
        preTokenizer = pre
        ignoresMerges = vocabulary.preTokenizer == "llama3" || vocabulary.preTokenizer == "llama-bpe"
        rawUTF8 = vocabulary.model == .gemma4
        let table = vocabulary.table
        self.table = table

        var merges: [UInt64: Merge] = [:]
        merges.reserveCapacity(mergeTexts.count)
        var joined: [UInt8] = []
        for (rank, text) in mergeTexts.enumerated() {
            var text = text
            let entry: (left: Int32?, right: Int32?, merged: Int32?, leftCount: Int)? = text.withUTF8 { bytes in
                // llama.cpp splits at the first space after the first byte, so a rule may merge a space-led token.
                guard bytes.count >= 3, let space = bytes[1...].firstIndex(of: 0x20), space + 1 < bytes.count else {
                    return nil
                }
                joined.removeAll(keepingCapacity: true)
                joined.append(contentsOf: bytes[..<space])
                joined.append(contentsOf: bytes[(space + 1)...])
                return (table.find(UnsafeBufferPointer(rebasing: bytes[..<space])),
                        table.find(UnsafeBufferPointer(rebasing: bytes[(space + 1)...])),
                        table.find(joined), space)
            }
            guard let entry else {
                throw TokenizerError(.invalidMerge, "\(source): tokenizer.ggml.merges[\(rank)] is '\(text)', "
                    + "which is not two tokens separated by a space")
            }
            guard let l = entry.left, let r = entry.right, let m = entry.merged else {
                let utf8 = Array(text.utf8)
                let missing = entry.left == nil ? Array(utf8[..<entry.leftCount])
                    : entry.right == nil ? Array(utf8[(entry.leftCount + 1)...])
                    : Array(utf8[..<entry.leftCount] + utf8[(entry.leftCount + 1)...])
                throw TokenizerError(.invalidMerge, "\(source): tokenizer.ggml.merges[\(rank)] ('\(text)') needs "
                    + "the token '\(String(decoding: missing, as: UTF8.self))', which is not in the vocabulary")
            }
            let key = UInt64(UInt32(l)) << 32 | UInt64(UInt32(r))
            if merges[key] == nil {  // first rule wins, as with llama.cpp's map emplace
                merges[key] = Merge(rank: Int32(rank), result: m)
            }
        }
        self.merges = merges

        byteTokens = ByteLevelAlphabet.utf8ForByte.map { vocabulary.table.find($0) ?? -1 }
        byteFallbackTokens = (0 ..< 256).map { b in vocabulary.table.find(ByteTokenName.name(UInt8(b))) ?? -1 }
    }

    /// Working storage reused across the words of one call.
    private struct Scratch {
        var ids: [Int32] = []
        var prev: [Int32] = []
        var next: [Int32] = []
        var heap = BinaryHeap<Candidate>()
        var encoded: [UInt8] = []
        /// Each symbol's first byte in the word, and one more for the word's end.
        var starts: [Int32] = []
    }

    private struct Candidate: Comparable {
        let rank: Int32
        let left: Int32
        let right: Int32
        let leftID: Int32
        let rightID: Int32
        let result: Int32

        static func < (a: Candidate, b: Candidate) -> Bool {
            a.rank != b.rank ? a.rank < b.rank : a.left < b.left
        }
        static func == (a: Candidate, b: Candidate) -> Bool { a.rank == b.rank && a.left == b.left }
    }

    /// Appends the tokens of a piece of text that holds no special tokens.
    func encode(_ text: UnsafeBufferPointer<UInt8>, into out: inout [Int32]) {
        guard !text.isEmpty else { return }
        if rawUTF8 && text.contains(0x20) {
            // Spaces become U+2581 (E2 96 81) before splitting, as llama.cpp's escape_whitespaces does.
            var escaped: [UInt8] = []
            escaped.reserveCapacity(text.count + 16)
            for b in text {
                if b == 0x20 { escaped.append(contentsOf: [0xE2, 0x96, 0x81]) } else { escaped.append(b) }
            }
            escaped.withUnsafeBufferPointer { encodeEscaped($0, into: &out) }
        } else {
            encodeEscaped(text, into: &out)
        }
    }

    private func encodeEscaped(_ text: UnsafeBufferPointer<UInt8>, into out: inout [Int32]) {
        let (cps, offsets) = UTF8Codepoints.decode(text)
        let lengths = preTokenizer.split(cps)
        var scratch = Scratch()
        var cp = 0
        for length in lengths {
            let start = Int(offsets[cp]), end = Int(offsets[cp + length])
            cp += length
            encodeWord(UnsafeBufferPointer(rebasing: text[start ..< end]), &scratch, &out)
        }
    }

    private func encodeWord(_ word: UnsafeBufferPointer<UInt8>, _ s: inout Scratch, _ out: inout [Int32]) {
        let n = word.count
        if rawUTF8 {
            if word.allSatisfy({ $0 == 0x0A }), let id = table.find(word) {
                out.append(id)  // llama.cpp takes a run of line feeds whole when it is a token
                return
            }
        } else if n == 1 {
            emitSymbol(byteTokens[Int(word[0])], word, 0, 1, &out)
            return
        } else if ignoresMerges {
            s.encoded.removeAll(keepingCapacity: true)
            for b in word { s.encoded.append(contentsOf: ByteLevelAlphabet.utf8ForByte[Int(b)]) }
            if let id = table.find(s.encoded) {
                out.append(id)
                return
            }
        }
        s.ids.removeAll(keepingCapacity: true)
        s.prev.removeAll(keepingCapacity: true)
        s.next.removeAll(keepingCapacity: true)
        s.starts.removeAll(keepingCapacity: true)
        var offset = 0
        while offset < n {
            let length = rawUTF8 ? min(n - offset, Self.utf8Length(word[offset])) : 1
            let i = s.ids.count
            s.ids.append(rawUTF8 ? table.find(UnsafeBufferPointer(rebasing: word[offset ..< offset + length])) ?? -1
                                 : byteTokens[Int(word[offset])])
            s.starts.append(Int32(offset))
            offset += length
            s.prev.append(Int32(i - 1))
            s.next.append(offset < n ? Int32(i + 1) : -1)
        }
        s.starts.append(Int32(n))
        let symbols = s.ids.count
        s.heap.removeAll()
        for i in 0 ..< symbols - 1 { addCandidate(Int32(i), Int32(i + 1), &s) }

        while let c = s.heap.pop() {
            let l = Int(c.left), r = Int(c.right)
            // Skip pairs that an earlier merge changed.
            guard s.ids[l] == c.leftID, s.ids[r] == c.rightID, s.next[l] == c.right else { continue }
            s.ids[l] = c.result
            s.ids[r] = -2  // merged away
            let after = s.next[r]
            s.next[l] = after
            if after >= 0 { s.prev[Int(after)] = c.left }
            if s.prev[l] >= 0 { addCandidate(s.prev[l], c.left, &s) }
            if after >= 0 { addCandidate(c.left, after, &s) }
        }

        var i: Int32 = 0
        while i >= 0 {
            let next = s.next[Int(i)]
            emitSymbol(s.ids[Int(i)], word, Int(s.starts[Int(i)]), Int(next >= 0 ? s.starts[Int(next)] : s.starts[symbols]), &out)
            i = next
        }
    }

    /// The length of a UTF-8 sequence from its first byte (1 for a stray continuation byte), as
    /// llama.cpp's `unicode_len_utf8`.
    @inline(__always)
    static func utf8Length(_ b: UInt8) -> Int {
        b < 0x80 ? 1 : b < 0xC0 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4
    }

    @inline(__always)
    private func addCandidate(_ left: Int32, _ right: Int32, _ s: inout Scratch) {
        let l = s.ids[Int(left)], r = s.ids[Int(right)]
        guard l >= 0, r >= 0 else { return }
        guard let m = merges[UInt64(UInt32(l)) << 32 | UInt64(UInt32(r))] else { return }
        s.heap.push(Candidate(rank: m.rank, left: left, right: right, leftID: l, rightID: r, result: m.result))
    }

    /// A symbol without a token (a byte whose alphabet character the vocabulary lacks, or a
    /// character of raw UTF-8 that is not a token) falls back to its bytes' `<0xXX>` tokens where
    /// the vocabulary has them; the rest is dropped, as in llama.cpp.
    @inline(__always)
    private func emitSymbol(_ id: Int32, _ word: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int, _ out: inout [Int32]) {
        if id >= 0 {
            out.append(id)
            return
        }
        for b in word[from ..< to] where byteFallbackTokens[Int(b)] >= 0 {
            out.append(byteFallbackTokens[Int(b)])
        }
    }
}

/// `<0xXX>` byte-token names.
enum ByteTokenName {
    static func name(_ b: UInt8) -> [UInt8] {
        let hex = Array("0123456789ABCDEF".utf8)
        return [0x3C, 0x30, 0x78, hex[Int(b >> 4)], hex[Int(b & 15)], 0x3E]
    }

    /// The byte a `<0xXX>` text names, or nil.
    static func byte(_ text: ArraySlice<UInt8>) -> UInt8? {
        guard text.count == 6 else { return nil }
        let t = Array(text)
        guard t[0] == 0x3C, t[1] == 0x30, t[2] == 0x78, t[5] == 0x3E,
              let hi = hexValue(t[3]), let lo = hexValue(t[4]) else { return nil }
        return hi << 4 | lo
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30 ... 0x39: return c - 0x30
        case 0x41 ... 0x46: return c - 0x41 + 10
        case 0x61 ... 0x66: return c - 0x61 + 10
        default: return nil
        }
    }
}

/// UTF-8 to code points, with each code point's byte offset (one extra offset for the end).
enum UTF8Codepoints {
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> (cps: [UInt32], offsets: [Int32]) {
        var cps: [UInt32] = []
        var offsets: [Int32] = []
        cps.reserveCapacity(bytes.count)
        offsets.reserveCapacity(bytes.count + 1)
        var i = 0
        let n = bytes.count
        while i < n {
            let b0 = bytes[i]
            var len = 1
            var cp = UInt32(b0)
            if b0 >= 0xF0, i + 3 < n {
                len = 4
                cp = UInt32(b0 & 0x07) << 18 | UInt32(bytes[i + 1] & 0x3F) << 12
                    | UInt32(bytes[i + 2] & 0x3F) << 6 | UInt32(bytes[i + 3] & 0x3F)
            } else if b0 >= 0xE0, i + 2 < n {
                len = 3
                cp = UInt32(b0 & 0x0F) << 12 | UInt32(bytes[i + 1] & 0x3F) << 6 | UInt32(bytes[i + 2] & 0x3F)
            } else if b0 >= 0xC0, i + 1 < n {
                len = 2
                cp = UInt32(b0 & 0x1F) << 6 | UInt32(bytes[i + 1] & 0x3F)
            }
            cps.append(cp)
            offsets.append(Int32(i))
            i += len
        }
        offsets.append(Int32(n))
        return (cps, offsets)
    }
}
