import ControlProtocol
import WorkerProtocol

/// A worker as the router sees it: a name, how many requests it holds, and a way to send it one. The real link is
/// ``WorkerInstance`` over the worker's socket; in-process tests put fakes here that misbehave on cue.
public protocol WorkerLink: AnyObject, Sendable {
    var name: String { get }
    /// Requests sent to it that have not ended.
    var pending: Int { get }
    /// Sends a request; the stream ends after its last event (see ``RequestEvent``). Never blocks. Ending the
    /// stream early cancels the request in the worker.
    func generate(_ request: GenerateRequest) -> AsyncStream<RequestEvent>
    /// Ends request `id` with `event` and cancels it in the worker, when it is still open; returns whether it was.
    @discardableResult
    func abandon(_ id: String, with event: RequestEvent) -> Bool
}

/// What the router reads of the pool: its status, the workers that can take a request now, and a signal when
/// either changes. ``WorkerPool`` is the real one.
public protocol WorkerSource: AnyObject, Sendable {
    var status: PoolStatus { get }
    /// Workers that can take a request now, least loaded first.
    var servingLinks: [any WorkerLink] { get }
    /// Runs `body` whenever a worker's state changes (the router dispatches queued requests then).
    func onChange(_ body: @escaping @Sendable () -> Void)
}
