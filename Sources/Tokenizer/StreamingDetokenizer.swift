/// Turns generated token ids into text one id at a time, emitting only complete UTF-8 characters.
///
/// A character can span tokens (an emoji as four byte tokens); its first bytes are held back until
/// the rest arrive, so a client never sees half a character or a premature U+FFFD.
public struct StreamingDetokenizer: Sendable {
    public let tokenizer: Tokenizer
    /// Whether control tokens are written out as their text.
    public let renderSpecial: Bool
    private var pending: [UInt8] = []

    public init(tokenizer: Tokenizer, renderSpecial: Bool = false) {
        self.tokenizer = tokenizer
        self.renderSpecial = renderSpecial
    }

    /// Bytes received but not yet returned (the start of an unfinished character).
    public var pendingByteCount: Int { pending.count }

    /// Adds one token; returns the text that is now complete (possibly empty).
    public mutating func append(_ id: Int32) -> String {
        tokenizer.appendBytes(of: id, to: &pending, renderSpecial: renderSpecial)
        let complete = Self.completePrefixLength(pending)
        guard complete > 0 else { return "" }
        let text = String(decoding: pending[..<complete], as: UTF8.self)
        pending.removeFirst(complete)
        return text
    }

    /// Returns whatever is held back, with bytes that never formed a character as U+FFFD, and resets.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// The length of the longest prefix that does not end inside a character that could still be
    /// completed by more bytes. Bytes that can never become valid are released (as U+FFFD).
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        let n = bytes.count
        // Find the start of the last character: at most 3 continuation bytes back.
        var i = n - 1
        var continuations = 0
        while i >= 0 && bytes[i] & 0xC0 == 0x80 && continuations < 3 {
            i -= 1
            continuations += 1
        }
        guard i >= 0 else { return n }
        let lead = bytes[i]
        let needed: Int
        switch lead {
        case 0xC2 ... 0xDF: needed = 2
        case 0xE0 ... 0xEF: needed = 3
        case 0xF0 ... 0xF4: needed = 4
        default: return n  // ASCII, or a byte that cannot start a character
        }
        let have = n - i
        guard have < needed else { return n }
        // Hold back only if what we have is a valid beginning (so it can still be completed).
        if have >= 2 {
            let second = bytes[i + 1]
            switch lead {
            case 0xE0 where second < 0xA0, 0xED where second > 0x9F, 0xF0 where second < 0x90, 0xF4 where second > 0x8F:
                return n
            default: break
            }
        }
        return i
    }
}
