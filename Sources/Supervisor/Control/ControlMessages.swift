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

/// The answer: `ok` with what was asked for, or `error` with a message for the operator.
public struct ControlResponse: Sendable, Codable, Equatable {
    public var ok: Bool
    public var error: String?
    public var message: String?
    public var status: PoolStatus?
    /// For `health`: milliseconds since the supervisor's event loop last turned.
    public var loopLagMs: Double?
    /// For `generate`.
    public var text: String?
    public var worker: String?
    public var tokens: Int?
    public var elapsedMs: Double?

    public init(ok: Bool, error: String? = nil, message: String? = nil, status: PoolStatus? = nil) {
        self.ok = ok
        self.error = error
        self.message = message
        self.status = status
    }

    public static func failure(_ message: String) -> ControlResponse { ControlResponse(ok: false, error: message) }
}

enum ControlCoding {
    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.sortedKeys]
        return e
    }

    static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }
}
