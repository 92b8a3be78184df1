import Foundation

/// The chat format of a model: one of the layouts this build writes, chosen from the model's
/// `tokenizer.chat_template` the way llama.cpp recognises its built-in templates, and applied the way
/// llama-server's `/apply-template` applies a template (assistant prefill, a system message folded into
/// the next message where the template takes none, the template's BOS left to the tokenizer).
///
/// The Jinja itself is not interpreted: a template is recognised only when it is one of the layouts
/// below, written the way its family writes it. Anything else is refused (`ChatTemplateError.unrecognised`)
/// rather than guessed; an operator can then name a layout in the `chat_template` setting.
public struct ChatTemplate: Sendable {
    public enum Family: String, Sendable, Equatable {
        case chatml, llama3, mistral, phi3, gemma
    }

    /// Where the choice came from, for logs.
    public enum Source: String, Sendable, Equatable {
        /// Recognised in the model's `tokenizer.chat_template`.
        case metadata
        /// The model carries no template; chosen from its architecture or its vocabulary's marker tokens.
        case fallback
        /// Named by the operator (`chat_template` in the configuration).
        case configured
    }

    public let family: Family
    public let source: Source
    let layout: any ChatLayout
    /// The texts of BOS and EOS, and whether the tokenizer adds them (then a leading BOS or trailing EOS
    /// the template writes is dropped from the text, as llama.cpp does, so it is not doubled).
    let bos: String
    let eos: String
    let tokenizerAddsBOS: Bool
    let tokenizerAddsEOS: Bool

    /// The layout's name: `chatml`, `chatml-qwen3`, `llama3`, `llama3.1`, `mistral-v1`, `mistral-v3`,
    /// `mistral-v3-tekken`, `mistral-v7`, `mistral-legacy`, `phi3`, `phi3-mini`, `gemma`, `gemma3`.
    public var name: String { layout.name }

    /// Every name `init(named:)` accepts, for the `chat_template` setting and its error message.
    public static let names = ["chatml", "chatml-qwen3", "llama3", "llama3.1", "mistral-legacy", "mistral-v1", "mistral-v3",
                               "mistral-v3-tekken", "mistral-v7", "phi3", "phi3-mini", "gemma", "gemma3"]

    init(_ family: Family, _ layout: any ChatLayout, source: Source, vocabulary: Vocabulary) {
        self.family = family
        self.layout = layout
        self.source = source
        bos = vocabulary.bos.flatMap(vocabulary.text(of:)) ?? ""
        eos = vocabulary.eos.flatMap(vocabulary.text(of:)) ?? ""
        tokenizerAddsBOS = vocabulary.addBOS && vocabulary.bos != nil
        tokenizerAddsEOS = vocabulary.addEOS && vocabulary.eos != nil
    }

    /// The model's format: recognised in `templateText`, or, when the model carries no template, the
    /// fallback (Gemma's layout for a `gemma*` architecture, ChatML for a vocabulary with
    /// `<|im_start|>`/`<|im_end|>`). Throws `unrecognised` for a template this build does not write and
    /// for a model with neither a template nor a fallback.
    public init(templateText: String?, architecture: String, vocabulary: Vocabulary) throws(ChatTemplateError) {
        if let text = templateText, !text.isEmpty {
            let (family, layout) = try ChatTemplateRecognition.recognise(text)
            self.init(family, layout, source: .metadata, vocabulary: vocabulary)
        } else if architecture.hasPrefix("gemma") {
            self.init(.gemma, GemmaLayout(foldsSystem: architecture != "gemma" && architecture != "gemma2", writesBOS: true),
                      source: .fallback, vocabulary: vocabulary)
        } else if vocabulary.id(of: "<|im_start|>") != nil && vocabulary.id(of: "<|im_end|>") != nil {
            self.init(.chatml, ChatMLLayout(), source: .fallback, vocabulary: vocabulary)
        } else {
            throw ChatTemplateError(.unrecognised, "the model carries no chat template (tokenizer.chat_template) and "
                + "none can be inferred; set chat_template to one of \(Self.names.joined(separator: ", ")) or send "
                + "prompts to /v1/completions")
        }
    }

    /// The layout the operator names (`chat_template = "llama3.1"`), whatever the model carries.
    public init(named name: String, vocabulary: Vocabulary) throws(ChatTemplateError) {
        guard let (family, layout) = ChatTemplateRecognition.named(name) else {
            throw ChatTemplateError(.unrecognised, "chat_template '\(name)' is not a format this build writes; "
                + "known: \(Self.names.joined(separator: ", "))")
        }
        self.init(family, layout, source: .configured, vocabulary: vocabulary)
    }

    /// The prompt text for `messages`, byte for byte what llama-server's `/apply-template` returns for
    /// the same template. With `addGenerationPrompt`, ends with the opening of an assistant reply. A last
    /// assistant message is a prefill: the reply continues it (the prompt ends with its text, unclosed).
    /// `now` gives the date Llama 3.1+ templates write.
    ///
    /// One deliberate difference from llama.cpp: for a template that writes something when no reply is
    /// prompted that it does not write when one is (Phi-3's final EOS), a prefill continues the prompted
    /// form (`...<|end|>\n<|assistant|>\nText`) where llama.cpp splices the two (`...<|endoftext|>assistant|>\nText`).
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool, now: Date = Date()) throws(ChatTemplateError) -> String {
        var turns = messages
        var prefill: String?
        if let last = turns.last, last.role == "assistant" {
            if turns.count >= 2 && turns[turns.count - 2].role == "assistant" {
                throw ChatTemplateError(.invalidConversation, "two or more assistant messages at the end of the conversation: "
                    + "only the last one can be a prefill for the reply")
            }
            prefill = last.content
            turns.removeLast()
        }
        if !layout.supportsSystemRole, let first = turns.first, first.role == "system" {
            turns.removeFirst()
            if !turns.isEmpty { turns[0].content = first.content + "\n" + turns[0].content }
        }
        // Only Llama 3.1+ writes the date: no formatter is built for the other layouts' requests.
        let context = ChatContext(bos: bos, eos: eos, date: layout.writesDate ? Self.dateString(now) : "")
        guard let prefill else {
            return try apply(turns, generationPrompt: addGenerationPrompt, context: context)
        }
        let prompted = try apply(turns, generationPrompt: true, context: context)
        return prompted + (layout.prefillReasoning.map { $0.open + $0.close } ?? "") + prefill
    }

    /// The template's text with llama.cpp's BOS/EOS handling.
    private func apply(_ turns: [ChatMessage], generationPrompt: Bool, context: ChatContext) throws(ChatTemplateError) -> String {
        var text = Array(try layout.write(turns, generationPrompt: generationPrompt, context: context).utf8)[...]
        if tokenizerAddsBOS, !bos.isEmpty, text.starts(with: bos.utf8) { text = text.dropFirst(bos.utf8.count) }
        if tokenizerAddsEOS, !eos.isEmpty, text.reversed().starts(with: eos.utf8.reversed()) { text = text.dropLast(eos.utf8.count) }
        return String(decoding: text, as: UTF8.self)
    }

    /// `%d %b %Y` in the C locale and the local time zone, as llama.cpp formats `date_string`.
    static func dateString(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone.current
        f.dateFormat = "dd MMM yyyy"
        return f.string(from: date)
    }
}
