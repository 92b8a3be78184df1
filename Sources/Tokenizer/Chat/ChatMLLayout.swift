/// `<|im_start|>role\ncontent<|im_end|>\n` per message, `<|im_start|>assistant\n` to prompt a reply:
/// SmolLM2, Qwen 2 / 2.5, Qwen 3 and the many models fine-tuned on ChatML.
struct ChatMLLayout: ChatLayout {
    /// The system message the template writes when the conversation does not start with one
    /// (Qwen 2.5's "You are Qwen, created by Alibaba Cloud. ...", SmolLM2's "You are a helpful AI assistant named SmolLM, ...").
    var defaultSystemMessage: String?
    /// Qwen 3: an assistant message that carries its reasoning (`<think>...</think>answer`) keeps only
    /// the answer when a later user message follows it, and keeps the reasoning block otherwise.
    var separatesReasoning = false

    var name: String { separatesReasoning ? "chatml-qwen3" : "chatml" }
    var supportsSystemRole: Bool { true }
    var prefillReasoning: (open: String, close: String)? { separatesReasoning ? ("<think>\n", "\n</think>\n\n") : nil }

    func write(_ messages: [ChatMessage], generationPrompt: Bool, context: ChatContext) throws(ChatTemplateError) -> String {
        var out = ""
        if let system = defaultSystemMessage, messages.first?.role != "system" {
            out += "<|im_start|>system\n\(system)<|im_end|>\n"
        }
        let lastQuery = messages.lastIndex { $0.role == "user" } ?? messages.count - 1
        for (i, m) in messages.enumerated() {
            if separatesReasoning && m.role == "assistant" {
                out += "<|im_start|>assistant\n" + Self.qwen3Assistant(m.content, afterLastQuery: i > lastQuery,
                                                                       last: i == messages.count - 1)
            } else {
                out += "<|im_start|>\(m.role)\n\(m.content)"
            }
            out += "<|im_end|>\n"
        }
        if generationPrompt { out += "<|im_start|>assistant\n" }
        return out
    }

    /// Qwen 3's handling of one assistant message's `<think>` block.
    static func qwen3Assistant(_ text: String, afterLastQuery: Bool, last: Bool) -> String {
        var content = text
        var reasoning = ""
        if let close = text.range(of: "</think>") {
            let after = text[(text.range(of: "</think>", options: .backwards) ?? close).upperBound...]
            content = JinjaText.stripNewlines(String(after), right: false)
            let before = JinjaText.stripNewlines(String(text[..<close.lowerBound]), left: false)
            let thought = before.range(of: "<think>", options: .backwards).map { String(before[$0.upperBound...]) } ?? before
            reasoning = JinjaText.stripNewlines(thought, right: false)
        }
        if afterLastQuery && (last || !reasoning.isEmpty) {
            return "<think>\n" + JinjaText.stripNewlines(reasoning) + "\n</think>\n\n" + JinjaText.stripNewlines(content, right: false)
        }
        return content
    }
}
