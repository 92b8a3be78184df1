import WorkerProtocol

/// Why the router could not carry a request to its end.
public enum RouteFailure: Error, Sendable, CustomStringConvertible {
    /// The queue is full; try again after this many seconds.
    case queueFull(retryAfter: Int)
    /// No worker can serve now or soon (all draining, backing off, fatal or stopped), or none took over a cut
    /// request before its deadline; try again after this many seconds.
    case noWorker(String, retryAfter: Int)
    /// The request's deadline passed, in the queue (0 tokens) or while generating.
    case deadline(afterTokens: Int)
    /// The worker refused the request (prompt too long, bad request, ...).
    case refused(ErrorReply)
    /// The worker went away (or was stopped under the request) after tokens had reached the client, or too
    /// often before.
    case workerLost(String, afterTokens: Int)

    public var description: String {
        switch self {
        case .queueFull(let s): return "the queue is full; retry after \(s) s"
        case .noWorker(let why, _): return "no worker can serve: \(why)"
        case .deadline(let n): return "the request timed out after \(n) tokens"
        case .refused(let e): return e.message
        case .workerLost(let why, let n): return "\(why) after \(n) tokens"
        }
    }
}
