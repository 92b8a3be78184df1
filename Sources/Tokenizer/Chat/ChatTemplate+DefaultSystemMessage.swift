extension ChatTemplate {
    /// The literal system turn a ChatML template writes on its own, such as SmolLM2's
    /// `{{ '<|im_start|>system\nYou are ...<|im_end|>\n' }}`, unescaped; nil when there is none.
    public static func defaultSystemMessage(in template: String) -> String? {
        for opener in ["<|im_start|>system\n", "<|im_start|>system\\n"] {
            var searchFrom = template.startIndex
            while let open = template.range(of: opener, range: searchFrom ..< template.endIndex) {
                searchFrom = open.upperBound
                guard let close = template.range(of: "<|im_end|>", range: open.upperBound ..< template.endIndex) else { break }
                let body = template[open.upperBound ..< close.lowerBound]
                // A literal: no quote ending the string and no Jinja expression inside it.
                guard !body.isEmpty, !body.contains("'"), !body.contains("\""), !body.contains("{"), !body.contains("}")
                else { continue }
                return Self.unescape(String(body))
            }
        }
        return nil
    }

    private static func unescape(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var out = ""
        var escaping = false
        for c in s {
            if escaping {
                switch c {
                case "n": out.append("\n")
                case "t": out.append("\t")
                default: out.append(c)
                }
                escaping = false
            } else if c == "\\" {
                escaping = true
            } else {
                out.append(c)
            }
        }
        return out
    }
}
