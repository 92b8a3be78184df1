/// The kind of a vocabulary entry, as `tokenizer.ggml.token_type` stores it (llama.cpp's `llama_token_type`).
public enum TokenType: UInt8, Sendable, Equatable, CaseIterable {
    case undefined = 0
    /// Ordinary text.
    case normal = 1
    /// The unknown-token placeholder (`<unk>`).
    case unknown = 2
    /// A control token (`<bos>`, `<|im_start|>`): matched in text only when special parsing is on,
    /// rendered only when asked.
    case control = 3
    /// A token added by the model's authors (`\n\n`, runs of spaces in gemma): always matched
    /// before the regular algorithm, always rendered as its text.
    case userDefined = 4
    /// A reserved slot; renders as nothing.
    case unused = 5
    /// A byte fallback token, `<0xXX>`.
    case byte = 6
}
