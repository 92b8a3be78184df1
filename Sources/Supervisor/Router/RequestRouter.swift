import ControlProtocol
import Foundation
import Logging
import ServiceLifecycle
import WorkerProtocol

/// Carries requests to workers: the least-loaded serving worker with a free slot, otherwise a
/// bounded FIFO queue; deadlines the supervisor enforces itself; a retry on another worker (or the
/// replacement) when a worker dies, drains or is stopped under a request whose output has not reached
/// its client. A request cut after its client saw tokens fails; it is never passed off as a finished one.
///
/// No lock is held across I/O: a dispatch only queues a frame on the worker's writer (``LinkWriter``).
public final class RequestRouter: Service, @unchecked Sendable {
    /// A step of a routed request, in order: `started` (once per attempt), tokens, `done`. An attempt
    /// after the first starts over: a caller that kept the earlier attempt's tokens drops them.
    public enum Event: Sendable {
        case started(worker: String, queueWait: Duration, attempt: Int)
        case token(TokenEvent)
        case done(Done)
    }

    public struct Settings: Sendable {
        public var queue: Int
        public var slotsPerWorker: Int
        /// Attempts after the first when a worker is lost (or stopped) under a request.
        public var maxRetries: Int
        /// How long past a request's deadline the supervisor waits for the worker to end it before ending it
        /// itself (the worker enforces the same deadline; this covers a frozen or overloaded worker).
        public var deadlineGrace: Duration

        public init(queue: Int, slotsPerWorker: Int, maxRetries: Int = 2, deadlineGrace: Duration = .seconds(1)) {
            self.queue = queue
            self.slotsPerWorker = slotsPerWorker
            self.maxRetries = maxRetries
            self.deadlineGrace = deadlineGrace
        }
    }

    private struct Waiter {
        let id: UInt64
        let request: GenerateRequest
        let deadline: ContinuousClock.Instant
        let enqueued: ContinuousClock.Instant
        /// A retry of a request cut under way: it waits for a replacement worker rather than failing fast.
        let retry: Bool
        let continuation: CheckedContinuation<Dispatched, any Error>
    }

    struct Dispatched: @unchecked Sendable {
        let worker: any WorkerLink
        let events: AsyncStream<RequestEvent>
    }

    /// A request on a worker, watched for its deadline.
    private struct Running {
        let worker: any WorkerLink
        let requestID: String
        let deadline: ContinuousClock.Instant
    }

    private let pool: any WorkerSource
    let settings: Settings
    let observer: any RouterObserver
    let logger: Logger
    let clock = ContinuousClock()
    private let lock = NSLock()
    private var queue: [Waiter] = []
    private var cancelledWaiters: Set<UInt64> = []
    private var running: [UInt64: Running] = [:]
    private var nextID: UInt64 = 0
    private var shuttingDown = false
    /// Mean request duration (exponentially weighted), for Retry-After.
    private var meanSeconds = 5.0

    public init(pool: any WorkerSource, settings: Settings, observer: (any RouterObserver)? = nil, logger: Logger) {
        self.pool = pool
        self.settings = settings
        self.observer = observer ?? NoRouterObserver()
        self.logger = logger
        pool.onChange { [weak self] in self?.pump() }
    }

    /// Requests waiting for a slot.
    public var queueDepth: Int { lock.withLock { queue.count } }

    /// Expires queued and running requests past their deadline (and dispatches what a missed signal left).
    public func run() async throws {
        // The front end stops before the router (the service group's reverse order), so nothing
        // new arrives once this loop ends.
        // Workers becoming ready and requests ending dispatch at once (signalled); this tick expires deadlines.
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: .milliseconds(100))
            pump()
        }
        abandonAll("the supervisor is shutting down")
    }

    /// Ends every queued and running request with a failure and takes no retries from now on: the front end's
    /// stop drain ran out of time. A request ended this way is an error to its client (503 or an error
    /// event), never a short answer.
    public func abandonAll(_ why: String) {
        let (waiting, cut) = lock.withLock {
            shuttingDown = true
            let w = queue
            queue.removeAll()
            return (w, Array(running.values))
        }
        for w in waiting { w.continuation.resume(throwing: RouteFailure.noWorker(why, retryAfter: 5)) }
        for r in cut { r.worker.abandon(r.requestID, with: .workerLost(why)) }
        if !cut.isEmpty || !waiting.isEmpty {
            logger.warning("\(why): ended \(cut.count) running and \(waiting.count) queued requests",
                           metadata: ["event": "requests_abandoned"])
        }
    }

    /// A request admitted to a worker: the first attempt's worker and its events.
    public struct Lease: @unchecked Sendable {
        public let request: GenerateRequest
        public let deadline: ContinuousClock.Instant
        public let arrived: ContinuousClock.Instant
        public var worker: any WorkerLink { dispatched.worker }
        let dispatched: Dispatched
    }

    /// Routes `request` (its `id` unique among requests in flight) to a worker, waiting in the
    /// queue when none has a free slot; fails with ``RouteFailure`` when the queue is full, no
    /// worker can serve soon or `deadline` passes first.
    public func admit(_ request: GenerateRequest, deadline: ContinuousClock.Instant) async throws -> Lease {
        let arrived = clock.now
        let dispatched = try await acquire(request, deadline: deadline, retry: false)
        return Lease(request: request, deadline: deadline, arrived: arrived, dispatched: dispatched)
    }

    /// The admitted request's events, pulled one at a time (see ``RouteSession`` for the retry rules).
    public func session(_ lease: Lease, replayable: Bool = false) -> RouteSession {
        RouteSession(router: self, lease: lease, replayable: replayable)
    }

    // MARK: admission

    func acquire(_ request: GenerateRequest, deadline: ContinuousClock.Instant, retry: Bool) async throws
        -> Dispatched
    {
        let status = pool.status
        if let why = retry ? Self.cannotRecover(status) : Self.cannotServeSoon(status) {
            observer.queueRejected()
            throw RouteFailure.noWorker(why, retryAfter: Self.retryAfter(status))
        }
        let admitted: Result<Dispatched?, RouteFailure>
        let id: UInt64
        (admitted, id) = lock.withLock {
            if shuttingDown { return (.failure(.noWorker("the supervisor is shutting down", retryAfter: 5)), 0) }
            if queue.isEmpty, let d = dispatchLocked(request, deadline: deadline) { return (.success(d), 0) }
            if !retry && queue.count >= settings.queue {
                let retryAfter = max(1, Int((Double(queue.count + 1) / Double(max(1, capacityLocked)) * meanSeconds)
                    .rounded(.up)))
                return (.failure(status.readyCount == 0 ? .noWorker(status.summary, retryAfter: Self.retryAfter(status))
                    : .queueFull(retryAfter: retryAfter)), 0)
            }
            nextID += 1
            return (.success(nil), nextID)
        }
        switch admitted {
        case .success(let d?): return d
        case .success(nil): break
        case .failure(let failure):
            observer.queueRejected()
            throw failure
        }
        let enqueued = clock.now
        let dispatched: Dispatched = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                lock.lock()
                if cancelledWaiters.remove(id) != nil {
                    lock.unlock()
                    continuation.resume(throwing: CancellationError())
                    return
                }
                let w = Waiter(id: id, request: request, deadline: deadline, enqueued: enqueued, retry: retry,
                               continuation: continuation)
                if retry { queue.insert(w, at: 0) } else { queue.append(w) }
                let depth = queue.count
                lock.unlock()
                observer.queueDepth(depth)
                pump()
            }
        } onCancel: {
            lock.lock()
            if let i = queue.firstIndex(where: { $0.id == id }) {
                let w = queue.remove(at: i)
                lock.unlock()
                w.continuation.resume(throwing: CancellationError())
            } else {
                cancelledWaiters.insert(id)
                lock.unlock()
            }
        }
        observer.queueWait(seconds: (clock.now - enqueued).seconds)
        return dispatched
    }

    /// Dispatches queued requests while there is room; fails those past their deadline, and all of them
    /// when no worker will come to serve them; ends running requests the worker let run past their deadline.
    func pump() {
        let now = clock.now
        let status = pool.status
        let hopeless = Self.cannotRecover(status)
        var ready: [(Waiter, Dispatched)] = []
        var failed: [(Waiter, RouteFailure)] = []
        var overdue: [Running] = []
        lock.lock()
        queue.removeAll { w in
            if w.deadline <= now {
                failed.append((w, w.retry ? .noWorker("no worker took over the request before its deadline",
                                                      retryAfter: Self.retryAfter(status))
                                          : .deadline(afterTokens: 0)))
                return true
            }
            if let hopeless {
                failed.append((w, .noWorker(hopeless, retryAfter: Self.retryAfter(status))))
                return true
            }
            return false
        }
        while let head = queue.first, let d = dispatchLocked(head.request, deadline: head.deadline) {
            queue.removeFirst()
            ready.append((head, d))
        }
        for r in running.values where now > r.deadline + settings.deadlineGrace { overdue.append(r) }
        let depth = queue.count
        lock.unlock()
        if !ready.isEmpty || !failed.isEmpty { observer.queueDepth(depth) }
        for (w, failure) in failed { w.continuation.resume(throwing: failure) }
        for (w, d) in ready { w.continuation.resume(returning: d) }
        for r in overdue where r.worker.abandon(r.requestID, with: .expired) {
            logger.warning("a request ran past its deadline on \(r.worker.name); ended it here",
                           metadata: ["event": "deadline_enforced", "request": "\(r.requestID)"])
        }
    }

    /// Sends the request to the least-loaded serving worker with a free slot, if any. Called with
    /// the lock held, so two requests never take the same last slot; the send only queues a frame.
    private func dispatchLocked(_ request: GenerateRequest, deadline: ContinuousClock.Instant) -> Dispatched? {
        guard let worker = pool.servingLinks.first(where: { $0.pending < settings.slotsPerWorker }) else {
            return nil
        }
        var r = request
        r.deadlineMs = max(1, Int((deadline - clock.now).milliseconds))
        return Dispatched(worker: worker, events: worker.generate(r))
    }

    /// Watches request `id` on `worker` for its deadline until ``unwatch(_:)``.
    func watch(_ worker: any WorkerLink, _ id: String, deadline: ContinuousClock.Instant) -> UInt64 {
        lock.withLock {
            nextID += 1
            running[nextID] = Running(worker: worker, requestID: id, deadline: deadline)
            return nextID
        }
    }

    func unwatch(_ key: UInt64) {
        lock.withLock { _ = running.removeValue(forKey: key) }
        pump()
    }

    var isShuttingDown: Bool { lock.withLock { shuttingDown } }

    private var capacityLocked: Int { max(1, pool.status.rows.filter { $0.state.isRunning }.count) * settings.slotsPerWorker }

    var retryAfterNoWorker: Int { Self.retryAfter(pool.status) }

    func learn(duration: Duration) {
        lock.withLock { meanSeconds = 0.9 * meanSeconds + 0.1 * duration.seconds }
    }

    /// Why a new request cannot be served soon, or nil when some worker is serving or on its way there
    /// (starting, loading, or stopping/exited on the way to a restart). Draining, backing-off, fatal and stopped
    /// workers are not: such a pool answers at once (503 with Retry-After) rather than holding requests.
    static func cannotServeSoon(_ status: PoolStatus) -> String? {
        if status.rows.isEmpty { return "no workers configured" }
        let soon = status.rows.contains { row in
            switch row.state {
            case .ready, .busy, .starting, .loading, .stopping, .exited: return true
            case .draining, .backoff, .stopped, .fatal: return false
            }
        }
        return soon ? nil : status.summary
    }

    /// Why a request already under way (queued, or cut and retrying) cannot expect a worker before its deadline:
    /// only a pool whose every worker is fatal, stopped or drained by an operator.
    static func cannotRecover(_ status: PoolStatus) -> String? {
        if status.rows.isEmpty { return "no workers configured" }
        let hope = status.rows.contains { ![.stopped, .fatal, .draining].contains($0.state) }
        return hope ? nil : status.summary
    }

    /// Seconds until a worker may serve: the nearest restart of one backing off, else 5; 1...60.
    static func retryAfter(_ status: PoolStatus) -> Int {
        guard let next = status.rows.compactMap(\.retryInS).min() else { return 5 }
        return min(60, max(1, Int(next.rounded(.up))))
    }
}
