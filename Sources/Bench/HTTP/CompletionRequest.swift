import Foundation

/// Which OpenAI route a run drives.
public enum CompletionEndpoint: String, Sendable, Codable, CaseIterable {
    case completions, chat

    var path: String { self == .chat ? "/v1/chat/completions" : "/v1/completions" }
}

/// What one streamed request asks for.
public struct CompletionRequest: Sendable {
    public var endpoint: CompletionEndpoint
    public var prompt: String
    public var maxTokens: Int
    public var temperature: Double
    public var seed: UInt64?
    public var model: String?
    /// `ignore_eos`: generate through end-of-sequence up to `maxTokens` (benchmarks comparing equal work).
    public var ignoreEos: Bool

    public init(
        endpoint: CompletionEndpoint, prompt: String, maxTokens: Int, temperature: Double, seed: UInt64?,
        model: String?, ignoreEos: Bool = false
    ) {
        self.ignoreEos = ignoreEos
        self.endpoint = endpoint
        self.prompt = prompt
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.seed = seed
        self.model = model
    }

    /// The JSON body: streamed, with the usage chunk at the end.
    var body: [UInt8] {
        var object: [String: Any] = [
            "max_tokens": maxTokens, "temperature": temperature, "stream": true,
            "stream_options": ["include_usage": true],
        ]
        if let seed { object["seed"] = Int64(bitPattern: seed & 0x7FFF_FFFF_FFFF_FFFF) }
        if let model { object["model"] = model }
        if ignoreEos { object["ignore_eos"] = true }
        switch endpoint {
        case .completions: object["prompt"] = prompt
        case .chat: object["messages"] = [["role": "user", "content": prompt]]
        }
        return Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data())
    }
}
