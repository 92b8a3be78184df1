import Supervisor
import WorkerProtocol

extension RouteFailure {
    /// The HTTP answer to a request the router could not carry.
    func apiError(timeout: Duration) -> APIError {
        switch self {
        case .queueFull(let retryAfter): return .queueFull(retryAfter: retryAfter)
        case .noWorker(let why, let retryAfter): return .noWorkerReady(reason: why, retryAfter: retryAfter)
        case .deadline: return .deadlineExceeded(after: timeout)
        case .refused(let reply):
            switch reply.code {
            case .promptTooLong: return .contextLengthExceeded(reply.message, param: "prompt")
            case .badRequest: return .invalidValue(param: "prompt", reply.message)
            case .draining, .overloaded, .notReady: return .noWorkerReady(reason: reply.message, retryAfter: 1)
            default: return .workerFailed(reply.message)
            }
        case .workerLost(let why, _): return .workerFailed("the worker serving the request failed: \(why)")
        }
    }
}
