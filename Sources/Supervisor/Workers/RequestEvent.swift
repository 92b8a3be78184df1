import WorkerProtocol

/// What a request sent to one worker produces, in order: tokens, then exactly one of
/// `done`, `refused`, `workerLost` or `expired`.
public enum RequestEvent: Sendable {
    case token(TokenEvent)
    case done(Done)
    /// The worker refused or failed the request (prompt too long, draining, ...).
    case refused(ErrorReply)
    /// The worker went away (crash, kill, stop) before the request ended.
    case workerLost(String)
    /// The supervisor ended the request at its deadline: the worker did not (frozen, or too slow to notice).
    case expired
}
