import Foundation

/// A request on the control socket: one JSON object per frame (the worker protocol's framing).
public struct ControlRequest: Sendable, Codable, Equatable {
    public enum Command: String, Sendable, Codable, CaseIterable {
        case status, start, stop, restart, drain, reload, health, version, generate
    }

    public var command: Command
    /// Worker names, or `all`.
    public var names: [String]
    /// For `generate`: a smoke test of one worker, bypassing the HTTP API.
    public var prompt: String?
    public var maxTokens: Int?

    public init(command: Command, names: [String] = [], prompt: String? = nil, maxTokens: Int? = nil) {
        self.command = command
        self.names = names
        self.prompt = prompt
        self.maxTokens = maxTokens
    }

    enum CodingKeys: String, CodingKey {
        case command, names, prompt
        case maxTokens
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        command = try c.decode(Command.self, forKey: .command)
        names = try c.decodeIfPresent([String].self, forKey: .names) ?? []
        prompt = try c.decodeIfPresent(String.self, forKey: .prompt)
        maxTokens = try c.decodeIfPresent(Int.self, forKey: .maxTokens)
    }
}
