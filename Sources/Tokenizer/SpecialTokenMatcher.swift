/// Finds special tokens written in text, the way llama.cpp's `tokenizer_st_partition` does.
///
/// llama.cpp takes the special tokens longest first and, for each, splits every remaining stretch
/// of plain text at its leftmost non-overlapping occurrences. This finds every occurrence of every
/// special token in one pass over the text (a byte trie) and then replays that order, so the cost
/// does not grow with the number of special tokens (gemma has 6,414).
struct SpecialTokenMatcher: Sendable {
    /// A stretch of input: plain text (a byte range) or one special token.
    enum Fragment: Equatable {
        case text(Range<Int>)
        case token(Int32)
    }

    private struct Entry: Sendable {
        let id: Int32
        let length: Int32
        /// Control and unknown tokens match only when special parsing is on; user-defined ones always.
        let needsParseSpecial: Bool
    }

    /// Trie edges: `node << 8 | byte` → child node.
    private let edges: [Int: Int32]
    /// The entry ending at each trie node, -1 for none.
    private let terminal: [Int32]
    private let entries: [Entry]
    /// Whether some special token starts with this byte; most positions are skipped on this alone.
    private let startsToken: [Bool]
    /// Entry index → rank in llama.cpp's processing order (longer first; lower id first on ties).
    private let order: [Int32]

    var isEmpty: Bool { entries.isEmpty }

    init(vocabulary: Vocabulary) {
        var edges: [Int: Int32] = [:]
        var terminal: [Int32] = [-1]
        var entries: [Entry] = []
        var startsToken = [Bool](repeating: false, count: 256)
        for (i, type) in vocabulary.types.enumerated() {
            guard type == .control || type == .userDefined || type == .unknown else { continue }
            let bytes = vocabulary.table.bytes(i)
            guard let first = bytes.first else { continue }
            startsToken[Int(first)] = true
            var node = 0
            for b in bytes {
                let key = node << 8 | Int(b)
                if let child = edges[key] {
                    node = Int(child)
                } else {
                    terminal.append(-1)
                    edges[key] = Int32(terminal.count - 1)
                    node = terminal.count - 1
                }
            }
            // Several ids with the same text: the first one wins (llama.cpp's order among equals is unspecified).
            if terminal[node] < 0 {
                terminal[node] = Int32(entries.count)
                entries.append(Entry(id: Int32(i), length: Int32(bytes.count), needsParseSpecial: type != .userDefined))
            }
        }
        let sorted = entries.indices.sorted {
            entries[$0].length != entries[$1].length ? entries[$0].length > entries[$1].length
                : entries[$0].id < entries[$1].id
        }
        var order = [Int32](repeating: 0, count: entries.count)
        for (rank, e) in sorted.enumerated() { order[e] = Int32(rank) }
        self.edges = edges
        self.terminal = terminal
        self.entries = entries
        self.order = order
        self.startsToken = startsToken
    }

    /// Splits `text` into plain text and special tokens.
    func partition(_ text: UnsafeBufferPointer<UInt8>, parseSpecial: Bool) -> [Fragment] {
        guard !text.isEmpty else { return [] }
        guard !entries.isEmpty else { return [.text(0 ..< text.count)] }

        // Every occurrence: (its token's rank in processing order, its entry, where it starts).
        var occurrences: [(rank: Int32, entry: Int32, start: Int)] = []
        for start in 0 ..< text.count where startsToken[Int(text[start])] {
            var node = 0
            var p = start
            while p < text.count, let child = edges[node << 8 | Int(text[p])] {
                node = Int(child)
                p += 1
                let e = terminal[node]
                if e >= 0 && (parseSpecial || !entries[Int(e)].needsParseSpecial) {
                    occurrences.append((order[Int(e)], e, start))
                }
            }
        }
        guard !occurrences.isEmpty else { return [.text(0 ..< text.count)] }
        occurrences.sort { $0.rank != $1.rank ? $0.rank < $1.rank : $0.start < $1.start }

        // Replay: token by token, leftmost occurrences that lie wholly in still-plain text and
        // do not overlap the previous match of the same token.
        var taken = [Bool](repeating: false, count: text.count)
        var matchAt: [Int: Int] = [:]  // start → entry
        var currentRank: Int32 = -1
        var lastEnd = 0
        for occurrence in occurrences {
            let entry = entries[Int(occurrence.entry)]
            if occurrence.rank != currentRank {
                currentRank = occurrence.rank
                lastEnd = 0
            }
            let start = occurrence.start, end = start + Int(entry.length)
            guard start >= lastEnd, !taken[start ..< end].contains(true) else { continue }
            for i in start ..< end { taken[i] = true }
            matchAt[start] = Int(occurrence.entry)
            lastEnd = end
        }

        var fragments: [Fragment] = []
        var textStart = 0
        var i = 0
        while i < text.count {
            guard let e = matchAt[i] else {
                i += 1
                continue
            }
            if i > textStart { fragments.append(.text(textStart ..< i)) }
            fragments.append(.token(entries[e].id))
            i += Int(entries[e].length)
            textStart = i
        }
        if text.count > textStart { fragments.append(.text(textStart ..< text.count)) }
        return fragments
    }
}
