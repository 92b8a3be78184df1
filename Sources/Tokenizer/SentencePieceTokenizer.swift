/// SentencePiece-style tokenization (`tokenizer.ggml.model = llama`), matching llama.cpp's
/// `llm_tokenizer_spm`: spaces become U+2581, the text starts as one symbol per UTF-8 character,
/// and the adjacent pair whose concatenation is a token with the highest score is merged
/// (leftmost on ties) until none is; characters left without a token become `<0xXX>` byte tokens.
struct SentencePieceTokenizer: Sendable {
    let table: ByteStringTable
    let scores: [Float]
    /// The token for each byte: `<0xXX>`, else the byte itself as a token, else UNK.
    let byteTokens: [Int32]
    let addSpacePrefix: Bool

    init(vocabulary: Vocabulary) {
        table = vocabulary.table
        scores = vocabulary.scores
        addSpacePrefix = vocabulary.addSpacePrefix
        let unknown = vocabulary.unknown ?? 0
        byteTokens = (0 ..< 256).map { b in
            vocabulary.table.find(ByteTokenName.name(UInt8(b))) ?? vocabulary.table.find([UInt8(b)]) ?? unknown
        }
    }

    private struct Candidate: Comparable {
        let score: Float
        let left: Int32
        let right: Int32
        let size: Int32

        /// Heap order: highest score first, then leftmost.
        static func < (a: Candidate, b: Candidate) -> Bool {
            a.score != b.score ? a.score > b.score : a.left < b.left
        }
        static func == (a: Candidate, b: Candidate) -> Bool { a.score == b.score && a.left == b.left }
    }

    /// Appends the tokens of a piece of text that holds no special tokens. `afterSpecial` says the
    /// piece starts the input or follows a special token (where a space prefix goes, when enabled).
    func encode(_ raw: UnsafeBufferPointer<UInt8>, afterSpecial: Bool, into out: inout [Int32]) {
        var text: [UInt8] = []
        text.reserveCapacity(raw.count + raw.count / 2 + 3)
        let escapedSpace: [UInt8] = [0xE2, 0x96, 0x81]
        if addSpacePrefix && afterSpecial { text.append(contentsOf: escapedSpace) }
        for b in raw {
            if b == 0x20 { text.append(contentsOf: escapedSpace) } else { text.append(b) }
        }
        guard !text.isEmpty else { return }

        text.withUnsafeBufferPointer { text in
            // Symbols: one per UTF-8 character.
            var start: [Int32] = [], length: [Int32] = [], prev: [Int32] = [], next: [Int32] = []
            var offs = 0
            while offs < text.count {
                let lead = text[offs]
                let len = min(lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4, text.count - offs)
                start.append(Int32(offs))
                length.append(Int32(len))
                offs += len
            }
            let n = start.count
            prev.reserveCapacity(n)
            next.reserveCapacity(n)
            for i in 0 ..< n {
                prev.append(Int32(i - 1))
                next.append(i + 1 < n ? Int32(i + 1) : -1)
            }

            var heap = BinaryHeap<Candidate>()
            func tryAdd(_ left: Int32, _ right: Int32) {
                guard left >= 0, right >= 0 else { return }
                let s = Int(start[Int(left)])
                let size = Int(length[Int(left)] + length[Int(right)])
                guard let id = table.find(UnsafeBufferPointer(rebasing: text[s ..< s + size])) else { return }
                heap.push(Candidate(score: scores[Int(id)], left: left, right: right, size: Int32(size)))
            }
            for i in 1 ..< max(n, 1) { tryAdd(Int32(i - 1), Int32(i)) }

            while let c = heap.pop() {
                let l = Int(c.left), r = Int(c.right)
                // Skip pairs that an earlier merge changed.
                guard length[l] != 0, length[r] != 0, length[l] + length[r] == c.size else { continue }
                length[l] += length[r]
                length[r] = 0
                next[l] = next[r]
                if next[r] >= 0 { prev[Int(next[r])] = c.left }
                tryAdd(prev[l], c.left)
                tryAdd(c.left, next[l])
            }

            var i: Int32 = 0
            while i >= 0 {
                let s = Int(start[Int(i)]), len = Int(length[Int(i)])
                if let id = table.find(UnsafeBufferPointer(rebasing: text[s ..< s + len])) {
                    out.append(id)
                } else {
                    for b in text[s ..< s + len] { out.append(byteTokens[Int(b)]) }
                }
                i = next[Int(i)]
            }
        }
    }
}
