/// A message from the supervisor to a worker.
public enum SupervisorMessage: Sendable, Equatable {
    /// Opens the conversation and states the protocol version (`hello`).
    case hello(Hello)
    /// Starts a request (`generate`).
    case generate(GenerateRequest)
    /// Ends the request `id` with reason `cancelled`; unknown ids get an `unknown_id` error (`cancel`).
    case cancel(id: String)
    /// Asks for an immediate heartbeat (`health`).
    case health
    /// Asks for a ``WorkerMessage/stats(_:)`` reply (`stats`).
    case stats
    /// Finish the requests in flight, refuse new ones with `draining` (`drain`).
    case drain
    /// Exit, cancelling what is still in flight once `deadlineMs` has passed (`shutdown`).
    case shutdown(deadlineMs: Int?)
    /// Makes the worker misbehave, for tests of the supervisor (`inject_fault`).
    case injectFault(FaultInjection)

    /// The JSON `type` of every message, in declaration order.
    public static let types = ["hello", "generate", "cancel", "health", "stats", "drain", "shutdown", "inject_fault"]

    /// The message's JSON `type`.
    public var type: String {
        switch self {
        case .hello: "hello"
        case .generate: "generate"
        case .cancel: "cancel"
        case .health: "health"
        case .stats: "stats"
        case .drain: "drain"
        case .shutdown: "shutdown"
        case .injectFault: "inject_fault"
        }
    }

    /// The complete frame (length prefix and JSON) carrying this message.
    public func encoded() -> [UInt8] {
        switch self {
        case .hello(let body): MessageCoding.frame(type: type, body: body)
        case .generate(let body): MessageCoding.frame(type: type, body: body)
        case .cancel(let id): MessageCoding.frame(type: type, body: CancelFields(id: id))
        case .health, .stats, .drain: MessageCoding.frame(type: type, body: NoFields())
        case .shutdown(let deadlineMs): MessageCoding.frame(type: type, body: ShutdownFields(deadlineMs: deadlineMs))
        case .injectFault(let body): MessageCoding.frame(type: type, body: body)
        }
    }

    /// The message in a frame's payload (the JSON, without the length prefix).
    public static func decode(_ payload: [UInt8]) throws(ProtocolError) -> SupervisorMessage {
        try MessageCoding.decode(Envelope.self, from: payload).message
    }

    private struct Envelope: Decodable {
        let message: SupervisorMessage

        init(from decoder: any Decoder) throws {
            let type = try MessageCoding.type(in: decoder)
            switch type {
            case "hello": message = .hello(try Hello(from: decoder))
            case "generate": message = .generate(try GenerateRequest(from: decoder))
            case "cancel": message = .cancel(id: try CancelFields(from: decoder).id)
            case "health": message = .health
            case "stats": message = .stats
            case "drain": message = .drain
            case "shutdown": message = .shutdown(deadlineMs: try ShutdownFields(from: decoder).deadlineMs)
            case "inject_fault": message = .injectFault(try FaultInjection(from: decoder))
            default: throw ProtocolError.unknownType(type, known: SupervisorMessage.types)
            }
        }
    }

    private struct CancelFields: Codable {
        let id: String

        enum CodingKeys: String, CodingKey {
            case id
        }
    }

    private struct ShutdownFields: Codable {
        let deadlineMs: Int?

        init(deadlineMs: Int?) {
            self.deadlineMs = deadlineMs
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            deadlineMs = try c.decodeNumberIfPresent(Int.self, forKey: .deadlineMs)
        }

        enum CodingKeys: String, CodingKey {
            case deadlineMs = "deadline_ms"
        }
    }
}
