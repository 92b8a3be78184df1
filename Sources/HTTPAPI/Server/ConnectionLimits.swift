import ControlProtocol
import NIOCore
import Supervisor

/// How many HTTP connections may be open and how long each may sit in each phase of a request.
struct ConnectionLimits: Sendable {
    /// Open connections at most; one more is answered 503 (`Retry-After`) and closed.
    var maxConnections: Int
    /// A connection with no request in progress for this long is closed (keep-alive idle).
    var idle: TimeAmount
    /// From a request's first byte to the end of its headers (slowloris headers).
    var header: TimeAmount
    /// From the end of the headers to the end of the body (slow bodies).
    var body: TimeAmount

    /// Descriptors kept back from the connection cap for workers, the control socket, journald and files.
    static let reservedDescriptors = 256

    /// The configured limits, with the cap lowered to fit `openFileLimit` (the soft RLIMIT_NOFILE) when it
    /// would not.
    init(_ limits: SupervisorConfig.Limits, openFileLimit: Int) {
        maxConnections = min(limits.maxConnections, max(16, openFileLimit - Self.reservedDescriptors))
        idle = .nanoseconds(Int64(limits.idleTimeout.milliseconds * 1_000_000))
        header = .nanoseconds(Int64(limits.headerTimeout.milliseconds * 1_000_000))
        body = .nanoseconds(Int64(limits.bodyTimeout.milliseconds * 1_000_000))
    }
}
