/// Finds stop strings in streamed text and holds back the tail that could still become one,
/// so a client never sees part of a stop string.
///
/// Matching is on UTF-8 bytes, one Knuth–Morris–Pratt automaton per stop string: each byte of output
/// advances every automaton in amortized constant time, so a token costs O(its bytes × stop strings)
/// however much text is held back, and the held-back text is never longer than the longest stop string.
/// (The earlier matcher rescanned everything held back on every token: quadratic in it.)
public struct StopMatcher: Sendable {
    /// At most this many stop strings per request (OpenAI allows 4). The HTTP API and the worker refuse more.
    public static let maxStrings = 16
    /// At most this many UTF-8 bytes per stop string.
    public static let maxBytes = 256

    public let stops: [String]
    private var patterns: [Pattern]
    /// Text not yet returned: the longest suffix of the output that is still the start of a stop string.
    private var held: [UInt8] = []
    public private(set) var stopped = false
    /// Automaton transitions taken so far (each step of a fall back counts): O(bytes fed × stop strings).
    public private(set) var transitions = 0

    /// - Parameter stops: the stop strings; empty ones are ignored. Limits are the caller's to check
    ///   (``problem(with:)``); the matcher is linear whatever they are.
    public init(_ stops: [String]) {
        self.stops = stops.filter { !$0.isEmpty }
        patterns = self.stops.map { Pattern(Array($0.utf8)) }
    }

    /// Why these stop strings cannot be used (too many, too long, empty); nil when they can.
    public static func problem(with stops: [String]) -> String? {
        if stops.count > maxStrings {
            return "at most \(maxStrings) stop strings are allowed, got \(stops.count)"
        }
        if let i = stops.firstIndex(where: \.isEmpty) { return "stop string \(i) is empty" }
        if let i = stops.firstIndex(where: { $0.utf8.count > maxBytes }) {
            return "stop string \(i) is \(stops[i].utf8.count) bytes of UTF-8; at most \(maxBytes) are allowed"
        }
        return nil
    }

    /// Feed a piece of text; returns the text that is safe to emit now. After a stop string is
    /// seen, `stopped` is true and the text before it is the last thing returned. When stop strings
    /// occurrences end in the same piece, the one that starts first wins.
    public mutating func feed(_ text: String) -> String {
        guard !stopped else { return "" }
        guard !patterns.isEmpty else { return text }
        let base = held.count
        held.append(contentsOf: text.utf8)
        // Where the earliest-starting stop string found in this piece begins, in `held`.
        var cut: Int?
        for end in base ..< held.count {
            let byte = held[end]
            for p in patterns.indices {
                transitions += patterns[p].advance(byte)
                guard patterns[p].matched else { continue }
                let start = end + 1 - patterns[p].bytes.count
                if cut.map({ start < $0 }) ?? true { cut = start }
                patterns[p].restartAfterMatch()
            }
            // Nothing that starts later can win over a match already found.
            if let c = cut, c <= end + 1 - longestPartialMatch { break }
        }
        if let cut {
            stopped = true
            let out = String(decoding: held[..<cut], as: UTF8.self)
            held = []
            return out
        }
        // Keep only what may still begin a stop string; it starts at a stop string's first byte, so never
        // inside a character's UTF-8 sequence, and both halves decode cleanly.
        let keep = longestPartialMatch
        let out = String(decoding: held[..<(held.count - keep)], as: UTF8.self)
        held.removeFirst(held.count - keep)
        return out
    }

    /// The held-back text, at the end of generation.
    public mutating func flush() -> String {
        defer { held = [] }
        return stopped ? "" : String(decoding: held, as: UTF8.self)
    }

    /// The longest suffix of the text so far that is a proper prefix of some stop string.
    private var longestPartialMatch: Int {
        patterns.reduce(0) { max($0, $1.state) }
    }
}

/// One stop string's KMP automaton: `state` is the length of the longest suffix of the text seen that is a
/// prefix of the string.
private struct Pattern: Sendable {
    let bytes: [UInt8]
    /// failure[k]: the longest proper prefix of bytes[..<k] that is also its suffix.
    private let failure: [Int]
    private(set) var state = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        var failure = [Int](repeating: 0, count: bytes.count + 1)
        var k = 0
        for i in 1 ..< max(bytes.count, 1) {
            while k > 0 && bytes[i] != bytes[k] { k = failure[k] }
            if bytes[i] == bytes[k] { k += 1 }
            failure[i + 1] = k
        }
        self.failure = failure
    }

    var matched: Bool { state == bytes.count }

    /// Takes one byte; returns the transitions it cost.
    mutating func advance(_ byte: UInt8) -> Int {
        var steps = 1
        while state > 0 && bytes[state] != byte {
            state = failure[state]
            steps += 1
        }
        if bytes[state] == byte { state += 1 }
        return steps
    }

    /// After a full match, continue as KMP does, so overlapping occurrences are found too.
    mutating func restartAfterMatch() {
        state = failure[state]
    }
}
