/// One chat layout: how a family of Jinja templates writes plain text messages, reproduced without
/// interpreting the Jinja. `ChatTemplate` wraps a layout with what llama.cpp does around any template
/// (assistant prefill, folding a system message the template refuses, BOS/EOS handling).
protocol ChatLayout: Sendable {
    /// The layout's name in logs, errors and the `chat_template` setting (`llama3`, `mistral-v3-tekken`).
    var name: String { get }
    /// Whether the template writes a leading system message; when not, llama.cpp folds it into the
    /// next message (or drops it when it is alone), and so does `ChatTemplate`.
    var supportsSystemRole: Bool { get }
    /// The conversation as the template writes it, before llama.cpp strips a leading BOS or trailing EOS.
    /// Throws where the template raises (roles that do not alternate, a role it does not know).
    func write(_ messages: [ChatMessage], generationPrompt: Bool, context: ChatContext) throws(ChatTemplateError) -> String
    /// For templates that mark reasoning (Qwen 3's `<think>`): what llama-server writes between the
    /// reply's opening and a prefill, an empty reasoning block.
    var prefillReasoning: (open: String, close: String)? { get }
    /// Whether the layout writes `date_string` (then `ChatContext.date` is filled, otherwise left empty).
    var writesDate: Bool { get }
}

extension ChatLayout {
    var prefillReasoning: (open: String, close: String)? { nil }
    var writesDate: Bool { false }
}

/// What a template reads besides the messages.
struct ChatContext: Sendable {
    /// `bos_token` and `eos_token`: the texts of the vocabulary's BOS and EOS tokens ("" when it has none).
    var bos: String
    var eos: String
    /// `date_string`, as llama.cpp passes it: today's date as `%d %b %Y` ("07 Dec 2026").
    var date: String
}

/// Jinja's string operations as llama.cpp's Jinja runtime performs them.
enum JinjaText {
    /// `trim` / `strip()`: removes the bytes C's `isspace` accepts (space, \t, \n, \v, \f, \r) from both
    /// ends; other Unicode spaces stay, as in llama.cpp.
    static func trim(_ s: String) -> String { strip(s, left: true, right: true) { isSpace($0) } }

    static func strip(_ s: String, left: Bool, right: Bool, where match: (UInt8) -> Bool) -> String {
        var bytes = Array(s.utf8)[...]
        if left { while let b = bytes.first, match(b) { bytes = bytes.dropFirst() } }
        if right { while let b = bytes.last, match(b) { bytes = bytes.dropLast() } }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Python's `lstrip('\n')`, `rstrip('\n')`, `strip('\n')`.
    static func stripNewlines(_ s: String, left: Bool = true, right: Bool = true) -> String {
        strip(s, left: left, right: right) { $0 == 0x0A }
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (0x09 ... 0x0D).contains(b) }

    /// Whether roles alternate user, assistant, user, ... from the first message, as templates check with
    /// `(message['role'] == 'user') != (loop.index0 % 2 == 0)`.
    static func alternates(_ messages: [ChatMessage]) -> Bool {
        messages.enumerated().allSatisfy { i, m in (m.role == "user") == (i % 2 == 0) }
    }
}
