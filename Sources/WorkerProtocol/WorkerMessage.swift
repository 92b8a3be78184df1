/// A message from a worker to the supervisor.
public enum WorkerMessage: Sendable, Equatable {
    /// Answers the supervisor's hello: protocol version and what this worker serves (`hello`).
    case hello(WorkerHello)
    /// A stage of model loading (`load_progress`).
    case loadProgress(LoadProgress)
    /// The model is resident and a warm-up token has been computed (`ready`).
    case ready(Ready)
    /// One generated token of a request (`token`).
    case token(TokenEvent)
    /// A request has ended; no more messages about it follow (`done`).
    case done(Done)
    /// A request was refused or failed, or a frame could not be read (`error`).
    case error(ErrorReply)
    /// Liveness and progress counters, on a timer and in answer to `health` (`heartbeat`).
    case heartbeat(Heartbeat)
    /// The answer to `stats` (`stats`).
    case stats(Stats)
    /// A fatal failure, sent just before the worker exits with the matching exit code (`fault`).
    case fault(Fault)

    /// The JSON `type` of every message, in declaration order.
    public static let types = [
        "hello", "load_progress", "ready", "token", "done", "error", "heartbeat", "stats", "fault",
    ]

    /// The message's JSON `type`.
    public var type: String {
        switch self {
        case .hello: "hello"
        case .loadProgress: "load_progress"
        case .ready: "ready"
        case .token: "token"
        case .done: "done"
        case .error: "error"
        case .heartbeat: "heartbeat"
        case .stats: "stats"
        case .fault: "fault"
        }
    }

    /// The complete frame (length prefix and JSON) carrying this message.
    public func encoded() -> [UInt8] {
        switch self {
        case .hello(let body): MessageCoding.frame(type: type, body: body)
        case .loadProgress(let body): MessageCoding.frame(type: type, body: body)
        case .ready(let body): MessageCoding.frame(type: type, body: body)
        case .token(let body): MessageCoding.frame(type: type, body: body)
        case .done(let body): MessageCoding.frame(type: type, body: body)
        case .error(let body): MessageCoding.frame(type: type, body: body)
        case .heartbeat(let body): MessageCoding.frame(type: type, body: body)
        case .stats(let body): MessageCoding.frame(type: type, body: body)
        case .fault(let body): MessageCoding.frame(type: type, body: body)
        }
    }

    /// The message in a frame's payload (the JSON, without the length prefix).
    public static func decode(_ payload: [UInt8]) throws(ProtocolError) -> WorkerMessage {
        try MessageCoding.decode(Envelope.self, from: payload).message
    }

    private struct Envelope: Decodable {
        let message: WorkerMessage

        init(from decoder: any Decoder) throws {
            let type = try MessageCoding.type(in: decoder)
            switch type {
            case "hello": message = .hello(try WorkerHello(from: decoder))
            case "load_progress": message = .loadProgress(try LoadProgress(from: decoder))
            case "ready": message = .ready(try Ready(from: decoder))
            case "token": message = .token(try TokenEvent(from: decoder))
            case "done": message = .done(try Done(from: decoder))
            case "error": message = .error(try ErrorReply(from: decoder))
            case "heartbeat": message = .heartbeat(try Heartbeat(from: decoder))
            case "stats": message = .stats(try Stats(from: decoder))
            case "fault": message = .fault(try Fault(from: decoder))
            default: throw ProtocolError.unknownType(type, known: WorkerMessage.types)
            }
        }
    }
}
