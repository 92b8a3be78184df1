import ControlProtocol
import Foundation
import Logging
import WorkerProtocol

/// One worker process from spawn to exit: connects to its socket, follows its heartbeats,
/// kills it when it stops heartbeating (`heartbeat_timeout`), stops progressing with work in
/// flight (`stall_timeout`) or is not ready in time (`start_timeout`), and carries requests.
///
/// Everything that happens to it (the connection, messages, its exit, timer ticks, commands) goes through one
/// event stream consumed by `run()`, so its state has a single writer: the loop. The lock guards only what other
/// threads read (the snapshot, the link's writer, the open requests), not a second writer. The parts: this
/// file (state, the request API, plumbing), `+Loop` (the event loop and the watchdog), `+Link` (the reader
/// thread). The stored state is internal only so that those extensions reach it. Two threads of its own
/// block on the socket and post to that stream (see ARCHITECTURE.md, "Threads"): the link reader (connects, then
/// reads frames) and the `LinkWriter`.
public final class WorkerInstance: SupervisedWorker, @unchecked Sendable {
    public let name: String
    public let incarnation: UInt64
    public let launch: WorkerLaunch

    let health: SupervisorConfig.Health
    let logger: Logger
    let onStateChange: @Sendable (_ from: SupervisedState, _ to: SupervisedState) -> Void
    let events: AsyncStream<Event>
    let inbox: AsyncStream<Event>.Continuation
    let clock = ContinuousClock()

    let lock = NSLock()
    var snapshotValue: WorkerSnapshot
    var link: FrameSocket?
    var writer: LinkWriter?
    var child: ChildProcess?
    var requests: [String: AsyncStream<RequestEvent>.Continuation] = [:]

    // Touched only by the event loop in `run()`.
    var stall: StallDetector
    var killedFor: ExitReason?
    var stopRequested = false
    var stopDeadline: ContinuousClock.Instant?
    var fault: Fault?
    var exitStatus: ExitStatus?
    var exitSeenAt: ContinuousClock.Instant?
    var linkClosed = false

    enum Event: Sendable {
        /// The link reader connected to the worker's socket and started a writer for it.
        case connected(FrameSocket, LinkWriter)
        case message(WorkerMessage)
        case linkClosed
        case exited(ExitStatus)
        case tick
        case drain
        case stop(grace: Duration)
        case kill(ExitReason)
    }

    init(
        name: String, incarnation: UInt64, launch: WorkerLaunch, health: SupervisorConfig.Health, logger: Logger,
        onStateChange: @escaping @Sendable (_ from: SupervisedState, _ to: SupervisedState) -> Void
    ) {
        self.name = name
        self.incarnation = incarnation
        self.launch = launch
        self.health = health
        var logger = logger
        logger[metadataKey: "worker"] = "\(name)"
        self.logger = logger
        self.onStateChange = onStateChange
        (events, inbox) = AsyncStream.makeStream(of: Event.self)
        stall = StallDetector(timeout: health.stallTimeout)
        snapshotValue = WorkerSnapshot(incarnation: incarnation, state: .stopped, pending: 0)
    }

    public var snapshot: WorkerSnapshot {
        lock.lock()
        defer { lock.unlock() }
        var s = snapshotValue
        s.pending = requests.count
        return s
    }

    public var pending: Int { lock.withLock { requests.count } }

    // MARK: commands (any thread)

    /// Stop taking new requests; those in flight finish.
    public func drain() { inbox.yield(.drain) }

    /// Drain for up to `grace`, then exit; SIGKILL if it has not exited 5 s after that.
    public func stop(grace: Duration) { inbox.yield(.stop(grace: grace)) }

    /// SIGKILL to the process group now, recording why.
    public func kill(_ reason: ExitReason) { inbox.yield(.kill(reason)) }

    /// Sends a request; the stream ends after its last event. Ending the stream early cancels it. Never blocks:
    /// the frame goes to the link's writer queue, and a full queue (a worker that stopped reading) is refused as
    /// `overloaded`, as is a request too large for the link.
    public func generate(_ request: GenerateRequest) -> AsyncStream<RequestEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: RequestEvent.self)
        let frame = SupervisorMessage.generate(request).encoded()
        func refuse(_ code: ErrorReply.Code, _ message: String) -> AsyncStream<RequestEvent> {
            continuation.yield(.refused(ErrorReply(id: request.id, code: code, message: message)))
            continuation.finish()
            return stream
        }
        guard frame.count - WireFormat.headerBytes <= WireFormat.maxFrameBytes else {
            return refuse(.badRequest, "the request is \(frame.count) bytes on the worker link, which carries at most "
                + "\(WireFormat.maxFrameBytes)")
        }
        lock.lock()
        let writer = self.writer
        let state = snapshotValue.state
        if writer != nil, state.isRunning { requests[request.id] = continuation }
        lock.unlock()
        guard let writer, state.isRunning else { return refuse(.overloaded, "\(name) is \(state.rawValue)") }
        let id = request.id
        continuation.onTermination = { [weak self] termination in
            guard let self, case .cancelled = termination else { return }
            if self.removeRequest(id) != nil { self.send(.cancel(id: id)) }
        }
        guard writer.enqueue(frame) else {
            _ = removeRequest(id)
            return refuse(.overloaded, "\(name) is not reading its socket (\(writer.backlogBytes) bytes waiting)")
        }
        return stream
    }

    /// Ends request `id` here with `event` and cancels it in the worker, when it is still open: the supervisor's
    /// own deadline, or a shutdown that cannot wait for it. Returns whether it was open.
    @discardableResult
    public func abandon(_ id: String, with event: RequestEvent) -> Bool {
        guard let c = removeRequest(id) else { return false }
        send(.cancel(id: id))
        c.yield(event)
        c.finish()
        return true
    }

    // MARK: plumbing

    var currentLink: FrameSocket? {
        lock.lock()
        defer { lock.unlock() }
        return link
    }

    func update(_ body: (inout WorkerSnapshot) -> Void) {
        lock.lock()
        body(&snapshotValue)
        lock.unlock()
    }

    func setState(_ state: SupervisedState) {
        lock.lock()
        let old = snapshotValue.state
        snapshotValue.state = state
        lock.unlock()
        guard old != state else { return }
        logger.info("\(old.rawValue) → \(state.rawValue)", metadata: [
            "event": "state", "from": "\(old.rawValue)", "to": "\(state.rawValue)",
        ])
        onStateChange(old, state)
    }

    func requestStream(_ id: String) -> AsyncStream<RequestEvent>.Continuation? {
        lock.lock()
        defer { lock.unlock() }
        return requests[id]
    }

    func removeRequest(_ id: String) -> AsyncStream<RequestEvent>.Continuation? {
        lock.lock()
        defer { lock.unlock() }
        return requests.removeValue(forKey: id)
    }

    /// Queues `message` for the worker; never blocks. Dropped when there is no link (yet, or any more).
    func send(_ message: SupervisorMessage) {
        lock.lock()
        let writer = self.writer
        lock.unlock()
        guard let writer else { return }
        if !writer.enqueue(message.encoded()) {
            logger.warning("the worker's write queue is full; dropped a \(message.type) message",
                           metadata: ["event": "link_backlog"])
        }
    }
}
