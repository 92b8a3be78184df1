/// Recognises a chat template's layout from its Jinja text: first its family, by the same markers and
/// in the same order as llama.cpp's `llm_chat_detect_template`, then, within a family this build writes,
/// the variant, by the expressions that write each message. A template whose family this build does not
/// write, or whose message expressions are not the family's known ones, is refused.
enum ChatTemplateRecognition {
    typealias Choice = (family: ChatTemplate.Family, layout: any ChatLayout)

    static func named(_ name: String) -> Choice? {
        switch name {
        case "chatml": (.chatml, ChatMLLayout())
        case "chatml-qwen3": (.chatml, ChatMLLayout(separatesReasoning: true))
        case "llama3": (.llama3, Llama3Layout())
        case "llama3.1": (.llama3, Llama3Layout(knowledgeCutoff: "December 2023"))
        case "phi3": (.phi3, Phi3Layout(variant: .roles, writesBOS: false, skipsEmptySystem: true))
        case "phi3-mini": (.phi3, Phi3Layout(variant: .userPrompts, writesBOS: true))
        case "gemma": (.gemma, GemmaLayout(foldsSystem: false, writesBOS: true))
        case "gemma3": (.gemma, GemmaLayout(foldsSystem: true, writesBOS: true))
        default: MistralLayout.Variant(rawValue: name).map { (.mistral, MistralLayout(variant: $0)) }
        }
    }

    static func recognise(_ text: String) throws(ChatTemplateError) -> Choice {
        if let choice = named(text.trimmingCharacters(in: .whitespacesAndNewlines)) { return choice }
        let t = Template(text)
        func unsupported(_ family: String) -> ChatTemplateError {
            ChatTemplateError(.unrecognised, "the model's chat template is \(family) (as llama.cpp classifies it), "
                + "a format this build does not write; set chat_template to one of "
                + "\(ChatTemplate.names.joined(separator: ", ")) if one matches the model, or send prompts to /v1/completions")
        }
        func unknownVariant(_ family: ChatTemplate.Family) -> ChatTemplateError {
            ChatTemplateError(.unrecognised, "the model's chat template is a \(family.rawValue) template, but not one "
                + "whose layout this build writes exactly (it adds text of its own, or arranges messages another way); "
                + "set chat_template to the layout that matches the model (\(ChatTemplate.names.joined(separator: ", "))) "
                + "or send prompts to /v1/completions")
        }
        if t.has("<|im_start|>") {
            if t.has("<|im_sep|>") { throw unsupported("phi-4") }
            if t.has("<end_of_utterance>") { throw unsupported("SmolVLM") }
            let qwen3 = t.writes("'</think>'inmessage['content']")
            // ChatML writes no BOS, and reasoning blocks only in Qwen 3's way.
            guard t.writes("'<|im_start|>'+message['role']+'\n'+message['content']+'<|im_end|>'"), !t.has("bos_token"),
                  qwen3 || !t.has("<think>") else { throw unknownVariant(.chatml) }
            return (.chatml, ChatMLLayout(defaultSystemMessage: ChatTemplate.defaultSystemMessage(in: text), separatesReasoning: qwen3))
        }
        if text.hasPrefix("mistral") || t.has("[INST]") {
            return (.mistral, try mistral(t, unknownVariant(.mistral)))
        }
        if t.has("<|assistant|>") && t.has("<|end|>") {
            if t.writes("'<|user|>'+'\n'+message['content']+'<|end|>'+'\n'+'<|assistant|>'+'\n'") {
                return (.phi3, Phi3Layout(variant: .userPrompts, writesBOS: t.has("bos_token")))
            }
            if t.writes("'<|'+message['role']+'|>'+'\n'+message['content']+'<|end|>\n'")
                || t.writes("message['role']=='system'andmessage['content']") {
                return (.phi3, Phi3Layout(variant: .roles, writesBOS: t.has("bos_token"), endsWithEOS: t.has("eos_token"),
                                          skipsEmptySystem: t.writes("message['role']=='system'andmessage['content']")))
            }
            throw unknownVariant(.phi3)
        }
        for (family, markers) in familiesBeforeGemma where markers.allSatisfy(t.has) { throw unsupported(family) }
        if t.has("<start_of_turn>") {
            guard t.writes("'<start_of_turn>'+role+'\n'"), t.writes("message['content']|trim") else { throw unknownVariant(.gemma) }
            if t.has("System role not supported") { return (.gemma, GemmaLayout(foldsSystem: false, writesBOS: t.has("bos_token"))) }
            if t.writes("first_user_prefix=messages[0]['content']+'\n\n'") {
                return (.gemma, GemmaLayout(foldsSystem: true, writesBOS: t.has("bos_token")))
            }
            throw unknownVariant(.gemma)
        }
        for (family, markers) in familiesBeforeLlama3 where markers.allSatisfy(t.has) { throw unsupported(family) }
        if t.has("<|start_header_id|>") && t.has("<|end_header_id|>") {
            guard t.writes("'<|start_header_id|>'+message['role']+'<|end_header_id|>\n\n'+message['content']|trim+'<|eot_id|>'")
            else { throw unknownVariant(.llama3) }
            if let cutoff = t.literal(after: "Cutting Knowledge Date: ") {
                guard t.writes("'TodayDate:'+date_string+'\n\n'") else { throw unknownVariant(.llama3) }
                return (.llama3, Llama3Layout(knowledgeCutoff: cutoff, writesBOS: t.has("bos_token")))
            }
            return (.llama3, Llama3Layout(writesBOS: t.has("bos_token"), alwaysPromptsReply: !t.has("add_generation_prompt")))
        }
        throw ChatTemplateError(.unrecognised, "the model's chat template is not one this build recognises (ChatML, "
            + "Llama 3, Mistral [INST], Phi-3 or Gemma); set chat_template to one of "
            + "\(ChatTemplate.names.joined(separator: ", ")) if one matches the model, or send prompts to /v1/completions")
    }

    private static func mistral(_ t: Template, _ unknown: ChatTemplateError) throws(ChatTemplateError) -> MistralLayout {
        if t.has("[SYSTEM_PROMPT]") {
            guard t.writes("'[INST]'+message['content']+'[/INST]'"),
                  t.writes("'[SYSTEM_PROMPT]'+message['content']+'[/SYSTEM_PROMPT]'"),
                  t.writes("''+message['content']+eos_token"), !t.has("default_system_message") else { throw unknown }
            return MistralLayout(variant: .v7)
        }
        if t.has("' [INST] ' + system_message") || t.has("[AVAILABLE_TOOLS]") {
            if t.has(" [INST]") {
                guard t.writes("'[INST]'+system_message+'\n\n'+message['content']+'[/INST]'"),
                      t.writes("''+message['content']+eos_token") else { throw unknown }
                return MistralLayout(variant: .v1)
            }
            guard t.writes("'[INST]'+system_message+'\n\n'+message['content']+'[/INST]'") else { throw unknown }
            if t.has("\"[INST]\"") {
                guard t.writes("message['content']+eos_token") else { throw unknown }
                return MistralLayout(variant: .v3Tekken)
            }
            guard t.writes("''+message['content']|trim+eos_token") else { throw unknown }
            return MistralLayout(variant: .v3)
        }
        guard !t.has("<<SYS>>"), !t.has("content.strip()"), !t.has("bos_token + '[INST]"),
              t.writes("'[INST]'+message['content']+'[/INST]'"), t.writes("message['content']+eos_token")
        else { throw unknown }
        return MistralLayout(variant: .legacy)
    }

    /// Families llama.cpp recognises ahead of Gemma, and between Gemma and Llama 3, by all of their markers.
    private static let familiesBeforeGemma: [(String, [String])] = [
        ("ChatGLM 4", ["[gMASK]<sop>"]), ("GLM-Edge / Falcon 3", ["<|assistant|>", "<|user|>"]),
        ("GLM-Edge", ["<|{{ item['role'] }}|>", "<|begin_of_image|>"]), ("Zephyr", ["<|user|>", "<|endoftext|>"]),
        ("Monarch", ["bos_token + message['role']"]),
    ]
    private static let familiesBeforeLlama3: [(String, [String])] = [
        ("Orion", ["'\\n\\nAssistant: ' + eos_token"]), ("OpenChat", ["GPT4 Correct "]), ("Vicuna", ["USER: ", "ASSISTANT: "]),
        ("DeepSeek Coder", ["### Instruction:", "<|EOT|>"]), ("Command R", ["<|START_OF_TURN_TOKEN|>", "<|USER_TOKEN|>"]),
    ]

    /// A template's text, raw for llama.cpp's markers and canonical for the expressions that write messages:
    /// whitespace outside and inside string literals removed, `\n` escapes and newlines dropped, double
    /// quotes made single, `message.role` spelled `message['role']`. Comparing expressions in that form
    /// ignores how a template is spaced and quoted, not what it writes.
    struct Template {
        let raw: String
        let canonical: String

        init(_ raw: String) {
            self.raw = raw
            var s = raw.replacingOccurrences(of: "\\n", with: "\n").replacingOccurrences(of: "\"", with: "'")
            for field in ["role", "content"] {
                s = s.replacingOccurrences(of: "message.\(field)", with: "message['\(field)']")
                    .replacingOccurrences(of: "messages[0].\(field)", with: "messages[0]['\(field)']")
            }
            canonical = String(s.unicodeScalars.filter { !$0.properties.isWhitespace }.map(Character.init))
        }

        func has(_ marker: String) -> Bool { raw.contains(marker) }

        func writes(_ expression: String) -> Bool {
            canonical.contains(Template(expression).canonical)
        }

        /// The text of a string literal that follows `prefix` up to its closing quote or an escape.
        func literal(after prefix: String) -> String? {
            guard let r = raw.range(of: prefix) else { return nil }
            let rest = raw[r.upperBound...]
            let end = rest.firstIndex { $0 == "\\" || $0 == "\"" || $0 == "'" || $0 == "\n" } ?? rest.endIndex
            let value = String(rest[..<end])
            return value.isEmpty ? nil : value
        }
    }
}
