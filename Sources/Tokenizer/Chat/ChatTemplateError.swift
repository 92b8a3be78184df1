/// Why a conversation could not be written in the model's chat format. The message is meant for the
/// API client (the chat endpoint answers 400 with it) or, for `unrecognised`, for the operator.
public struct ChatTemplateError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: Sendable, Equatable {
        /// The model's `tokenizer.chat_template` is not one this build writes, and no `chat_template`
        /// is configured; or the configured name is not a known format.
        case unrecognised
        /// The conversation breaks a rule of the template: roles that do not alternate, two assistant
        /// messages at the end, a role the template does not know.
        case invalidConversation
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    static func alternation(_ layout: String, afterSystem: Bool) -> ChatTemplateError {
        ChatTemplateError(.invalidConversation, "the model's chat format (\(layout)) needs "
            + (afterSystem ? "an optional system message, then " : "")
            + "roles that alternate user/assistant/user/assistant/...")
    }

    static func role(_ role: String, _ layout: String, allowed: String) -> ChatTemplateError {
        ChatTemplateError(.invalidConversation, "the model's chat format (\(layout)) has no '\(role)' role; it takes \(allowed)")
    }
}
