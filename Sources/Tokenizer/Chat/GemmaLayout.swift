/// `<start_of_turn>user\n...<end_of_turn>\n`, the assistant called `model`, contents trimmed, roles
/// alternating: Gemma 1, 2 and 3.
struct GemmaLayout: ChatLayout {
    /// Gemma 3 writes a system message at the start of the first user turn, followed by a blank line;
    /// Gemma 1 and 2 refuse it (llama.cpp then folds it into the first user message with one newline).
    var foldsSystem: Bool
    /// Whether the template writes `bos_token` at its start.
    var writesBOS: Bool

    var name: String { foldsSystem ? "gemma3" : "gemma" }
    var supportsSystemRole: Bool { foldsSystem }

    func write(_ messages: [ChatMessage], generationPrompt: Bool, context: ChatContext) throws(ChatTemplateError) -> String {
        var out = writesBOS ? context.bos : ""
        var turns = messages[...]
        var prefix = ""
        if foldsSystem, let first = turns.first, first.role == "system" {
            prefix = first.content + "\n\n"
            turns = turns.dropFirst()
        }
        guard JinjaText.alternates(Array(turns)) else { throw .alternation(name, afterSystem: foldsSystem) }
        for (i, m) in turns.enumerated() {
            let role = m.role == "assistant" ? "model" : m.role
            out += "<start_of_turn>\(role)\n" + (i == 0 ? prefix : "") + JinjaText.trim(m.content) + "<end_of_turn>\n"
        }
        if generationPrompt { out += "<start_of_turn>model\n" }
        return out
    }
}
