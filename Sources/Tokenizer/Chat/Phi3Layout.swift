/// `<|role|>\ncontent<|end|>\n` layouts of Microsoft's Phi-3 family, `<|assistant|>\n` to prompt a reply.
struct Phi3Layout: ChatLayout {
    enum Variant: String, Sendable {
        /// Phi-3.5 and Phi-3-small: every message as `<|role|>\n...<|end|>\n` (Phi-3.5 skips an empty system
        /// message); without a reply prompt the text ends with `eos_token`.
        case roles = "phi3"
        /// Phi-3-mini and -medium (first releases): user messages end with `<|assistant|>\n`, system
        /// messages are not written (llama.cpp folds them into the next message).
        case userPrompts = "phi3-mini"
    }

    var variant: Variant
    /// Whether the template writes `bos_token` at its start.
    var writesBOS: Bool
    /// `roles` only: whether the template ends with `eos_token` when no reply is prompted.
    var endsWithEOS = true
    /// `roles` only: Phi-3.5 writes a system message only when it is not empty.
    var skipsEmptySystem = false

    var name: String { variant.rawValue }
    var supportsSystemRole: Bool { variant == .roles }

    func write(_ messages: [ChatMessage], generationPrompt: Bool, context: ChatContext) throws(ChatTemplateError) -> String {
        var out = writesBOS ? context.bos : ""
        switch variant {
        case .roles:
            for m in messages where !(skipsEmptySystem && m.role == "system" && m.content.isEmpty) {
                out += "<|\(m.role)|>\n\(m.content)<|end|>\n"
            }
            if generationPrompt {
                out += "<|assistant|>\n"
            } else if endsWithEOS {
                out += context.eos
            }
        case .userPrompts:
            for m in messages {
                if m.role == "user" {
                    out += "<|user|>\n\(m.content)<|end|>\n<|assistant|>\n"
                } else if m.role == "assistant" {
                    out += "\(m.content)<|end|>\n"
                }
            }
        }
        return out
    }
}
