import Foundation

/// Identifiers and timestamps of OpenAI responses.
public enum OpenAIResponseID {
    /// A fresh completion id: `cmpl-` and 24 random letters and digits.
    public static func completion() -> String {
        "cmpl-" + random(24)
    }

    /// A fresh chat completion id: `chatcmpl-` and 24 random letters and digits.
    public static func chat() -> String {
        "chatcmpl-" + random(24)
    }

    /// Now, in whole seconds since 1970: a response's `created`.
    public static func now() -> Int {
        Int(Date().timeIntervalSince1970)
    }

    private static func random(_ count: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<count).map { _ in alphabet.randomElement()! })
    }
}
