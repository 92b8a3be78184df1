/// The chat formats this build renders, chosen from the model's `tokenizer.chat_template`
/// (or, when that is absent or unrecognised, from its architecture and vocabulary).
///
/// Rendering reproduces what the models' Jinja templates produce for plain text messages;
/// the Jinja itself is not interpreted.
public struct ChatTemplate: Sendable, Equatable {
    public enum Family: String, Sendable, Equatable {
        /// `<|im_start|>role\ncontent<|im_end|>\n` (SmolLM2, Qwen, ...).
        case chatml
        /// `<start_of_turn>user\n...<end_of_turn>\n`, assistant as `model`, a system message folded
        /// into the first user turn (Gemma).
        case gemma
    }

    /// Where the choice came from, for logs.
    public enum Source: String, Sendable, Equatable {
        /// `tokenizer.chat_template` names the format.
        case metadata
        /// No usable template text; chosen from the architecture or the vocabulary's marker tokens.
        case fallback
    }

    public let family: Family
    public let source: Source
    /// A system message the template writes when the conversation does not start with one
    /// (SmolLM2's "You are a helpful AI assistant named SmolLM, trained by Hugging Face").
    public let defaultSystemMessage: String?
    /// The BOS text the template writes at the start (gemma's `<bos>`), nil when it writes none.
    public let bosText: String?

    /// Whether rendered text already starts with BOS: encode it without adding another (llama.cpp
    /// strips the template's BOS and lets the tokenizer add it, which gives the same ids).
    public var rendersBOS: Bool { bosText != nil }

    public init(family: Family, defaultSystemMessage: String? = nil, bosText: String? = nil, source: Source = .metadata) {
        self.family = family
        self.defaultSystemMessage = defaultSystemMessage
        self.bosText = bosText
        self.source = source
    }

    /// Picks the format for a model; nil when none applies.
    public init?(templateText: String?, architecture: String, vocabulary: Vocabulary) {
        let bosToken = vocabulary.bos.flatMap(vocabulary.text(of:))
        if let text = templateText, text.contains("<|im_start|>") {
            self.init(family: .chatml, defaultSystemMessage: Self.defaultSystemMessage(in: text))
        } else if let text = templateText, text.contains("<start_of_turn>") {
            self.init(family: .gemma, bosText: text.contains("bos_token") ? bosToken : nil)
        } else if architecture.hasPrefix("gemma") {
            // Gemma 3's published template starts with {{ bos_token }}.
            self.init(family: .gemma, bosText: bosToken, source: .fallback)
        } else if vocabulary.id(of: "<|im_start|>") != nil && vocabulary.id(of: "<|im_end|>") != nil {
            self.init(family: .chatml, source: .fallback)
        } else {
            return nil
        }
    }

    /// The conversation as the model's template writes it; with `addGenerationPrompt`, ends with
    /// the opening of an assistant turn.
    public func render(messages: [ChatMessage], addGenerationPrompt: Bool) -> String {
        var out = ""
        switch family {
        case .chatml:
            if let system = defaultSystemMessage, let first = messages.first, first.role != "system" {
                out += "<|im_start|>system\n\(system)<|im_end|>\n"
            }
            for m in messages {
                out += "<|im_start|>\(m.role)\n\(m.content)<|im_end|>\n"
            }
            if addGenerationPrompt { out += "<|im_start|>assistant\n" }
        case .gemma:
            out += bosText ?? ""
            var turns = messages[...]
            var firstUserPrefix = ""
            if let first = turns.first, first.role == "system" {
                firstUserPrefix = first.content + "\n\n"
                turns = turns.dropFirst()
            }
            for (i, m) in turns.enumerated() {
                let role = m.role == "assistant" ? "model" : m.role
                out += "<start_of_turn>\(role)\n" + (i == 0 ? firstUserPrefix : "") + Self.trim(m.content) + "<end_of_turn>\n"
            }
            if addGenerationPrompt { out += "<start_of_turn>model\n" }
        }
        return out
    }

    /// Jinja's `trim`: Python's `str.strip()`.
    static func trim(_ s: String) -> String {
        let scalars = s.unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[start ... last])
    }

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
