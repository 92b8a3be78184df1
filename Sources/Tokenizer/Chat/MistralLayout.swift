/// `[INST] ... [/INST]` layouts: Mistral's published templates (v1, v3, v3-tekken, v7, as llama.cpp
/// names them) and the older Mistral/Llama 2 form without a system message. They differ in spaces,
/// in where the system message goes and in whether assistant replies are trimmed.
struct MistralLayout: ChatLayout {
    enum Variant: String, Sendable {
        /// Mistral 7B v0.1/v0.2 before v1: `[INST] user [/INST]assistant</s>`, no system role.
        case legacy = "mistral-legacy"
        /// ` [INST] system\n\nuser [/INST] assistant</s>`: the system message joins the first user message.
        case v1 = "mistral-v1"
        /// `[INST] user[/INST] assistant</s>`, replies trimmed; the system message joins the last user message.
        case v3 = "mistral-v3"
        /// `[INST]user[/INST]assistant</s>` (Mistral Nemo); the system message joins the last user message.
        case v3Tekken = "mistral-v3-tekken"
        /// `[SYSTEM_PROMPT] system[/SYSTEM_PROMPT][INST] user[/INST] assistant</s>`.
        case v7 = "mistral-v7"
    }

    var variant: Variant
    var name: String { variant.rawValue }
    var supportsSystemRole: Bool { variant != .legacy }

    func write(_ messages: [ChatMessage], generationPrompt: Bool, context: ChatContext) throws(ChatTemplateError) -> String {
        var out = context.bos
        if variant == .v7 {
            for m in messages {
                switch m.role {
                case "user": out += "[INST] \(m.content)[/INST]"
                case "system": out += "[SYSTEM_PROMPT] \(m.content)[/SYSTEM_PROMPT]"
                case "assistant": out += " \(m.content)" + context.eos
                default: throw .role(m.role, name, allowed: "user, system and assistant")
                }
            }
            return out
        }
        var turns = messages[...]
        var system: String?
        if variant != .legacy, let first = turns.first, first.role == "system" {
            system = first.content
            turns = turns.dropFirst()
        }
        guard JinjaText.alternates(Array(turns)) else { throw .alternation(name, afterSystem: variant != .legacy) }
        for (i, m) in turns.enumerated() {
            guard m.role == "user" || m.role == "assistant" else {
                throw .role(m.role, name, allowed: variant == .legacy ? "user and assistant" : "user and assistant after an optional system message")
            }
            let user = m.role == "user"
            switch variant {
            case .legacy:
                out += user ? "[INST] \(m.content) [/INST]" : m.content + context.eos
            case .v1:
                let text = i == 0 ? system.map { "\($0)\n\n" + m.content } ?? m.content : m.content
                out += user ? " [INST] \(text) [/INST]" : " \(m.content)" + context.eos
            case .v3, .v3Tekken:
                let last = i == turns.count - 1
                let text = last ? system.map { "\($0)\n\n" + m.content } ?? m.content : m.content
                if variant == .v3 {
                    out += user ? "[INST] \(text)[/INST]" : " " + JinjaText.trim(m.content) + context.eos
                } else {
                    out += user ? "[INST]\(text)[/INST]" : m.content + context.eos
                }
            case .v7:
                break
            }
        }
        return out
    }
}
