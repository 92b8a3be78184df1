/// How one worker incarnation ended.
public struct InstanceOutcome: Sendable {
    public var reason: ExitReason
    public var status: ExitStatus?
    /// How long it was ready before it ended; nil when it never became ready.
    public var readyFor: Duration?
    /// The worker's own words about a fatal failure, when it sent any.
    public var faultMessage: String?

    /// Human-readable, for logs and `supervisorctl status`.
    public var summary: String {
        var s = reason.rawValue
        if let status { s += " (\(status))" }
        if let faultMessage, !faultMessage.isEmpty { s += ": \(faultMessage)" }
        return s
    }
}
