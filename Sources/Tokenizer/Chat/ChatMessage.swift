/// One turn of a conversation, in OpenAI's shape (`{"role": "user", "content": "..."}`).
public struct ChatMessage: Codable, Sendable, Hashable {
    /// `system`, `user` or `assistant` (other roles pass through to the template as written).
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    public static func system(_ content: String) -> ChatMessage { ChatMessage(role: "system", content: content) }
    public static func user(_ content: String) -> ChatMessage { ChatMessage(role: "user", content: content) }
    public static func assistant(_ content: String) -> ChatMessage { ChatMessage(role: "assistant", content: content) }
}
