/// `<|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>` per message, contents trimmed:
/// Llama 3. From Llama 3.1 on, the template always opens with a system header that carries the
/// knowledge cut-off and today's date ahead of the system message, if any.
struct Llama3Layout: ChatLayout {
    /// Llama 3.1+: the text after "Cutting Knowledge Date: " ("December 2023"); nil for Llama 3.0.
    var knowledgeCutoff: String?
    /// Whether the template writes `bos_token` (at its start).
    var writesBOS = true
    /// Llama 3.0 templates that write the assistant header whether or not a reply is prompted.
    var alwaysPromptsReply = false

    var name: String { knowledgeCutoff == nil ? "llama3" : "llama3.1" }
    var supportsSystemRole: Bool { true }
    var writesDate: Bool { knowledgeCutoff != nil }

    func write(_ messages: [ChatMessage], generationPrompt: Bool, context: ChatContext) throws(ChatTemplateError) -> String {
        func turn(_ role: String, _ content: String) -> String {
            "<|start_header_id|>\(role)<|end_header_id|>\n\n" + content + "<|eot_id|>"
        }
        var out = ""
        var rest = messages[...]
        if let cutoff = knowledgeCutoff {
            out += writesBOS ? context.bos : ""
            var system = ""
            if let first = rest.first, first.role == "system" {
                system = JinjaText.trim(first.content)
                rest = rest.dropFirst()
            }
            out += turn("system", "Cutting Knowledge Date: \(cutoff)\nToday Date: \(context.date)\n\n" + system)
        } else if writesBOS && !rest.isEmpty {
            out += context.bos
        }
        for m in rest { out += turn(m.role, JinjaText.trim(m.content)) }
        if generationPrompt || alwaysPromptsReply { out += "<|start_header_id|>assistant<|end_header_id|>\n\n" }
        return out
    }
}
