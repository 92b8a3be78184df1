/// Finds stop strings in streamed text and holds back the tail that could still become one,
/// so a client never sees part of a stop string.
public struct StopMatcher: Sendable {
    public let stops: [String]
    private var pending = ""
    public private(set) var stopped = false

    public init(_ stops: [String]) {
        self.stops = stops.filter { !$0.isEmpty }
    }

    /// Feed a piece of text; returns the text that is safe to emit now. After a stop string is
    /// seen, `stopped` is true and the text before it is the last thing returned.
    public mutating func feed(_ text: String) -> String {
        guard !stopped else { return "" }
        guard !stops.isEmpty else { return text }
        pending += text
        var earliest: String.Index?
        for s in stops {
            if let r = pending.range(of: s), earliest == nil || r.lowerBound < earliest! { earliest = r.lowerBound }
        }
        if let cut = earliest {
            stopped = true
            let out = String(pending[..<cut])
            pending = ""
            return out
        }
        // Hold back the longest suffix that is a prefix of some stop string.
        var hold = 0
        let chars = Array(pending)
        for s in stops {
            let sc = Array(s)
            var k = min(sc.count - 1, chars.count)
            while k > hold {
                if Array(chars.suffix(k)) == Array(sc.prefix(k)) { hold = k; break }
                k -= 1
            }
        }
        let out = String(chars.dropLast(hold))
        pending = String(chars.suffix(hold))
        return out
    }

    /// The held-back text, at the end of generation.
    public mutating func flush() -> String {
        defer { pending = "" }
        return stopped ? "" : pending
    }
}

extension String {
    fileprivate func range(of needle: String) -> Range<String.Index>? {
        guard !needle.isEmpty, needle.count <= count else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(needle) { return i ..< index(i, offsetBy: needle.count) }
            i = index(after: i)
        }
        return nil
    }
}
