import Foundation
import Logging
import ServiceLifecycle
import WorkerProtocol

/// Carries requests to workers: the least-loaded serving worker with a free slot, otherwise a
/// bounded FIFO queue; deadlines; a retry on another worker when one dies (or drains) before
/// the first token. Workers that are starting, draining or restarting hold requests in the
/// queue rather than failing them; only a pool with nothing that can serve soon answers "no worker".
public final class RequestRouter: Service, @unchecked Sendable {
    /// A step of a routed request, in order: `started` (once per attempt), tokens, `done`.
    public enum Event: Sendable {
        case started(worker: String, queueWait: Duration, attempt: Int)
        case token(TokenEvent)
        case done(Done)
    }

    public struct Settings: Sendable {
        public var queue: Int
        public var slotsPerWorker: Int
        /// Attempts after the first when a worker is lost before the first token.
        public var maxRetries: Int

        public init(queue: Int, slotsPerWorker: Int, maxRetries: Int = 2) {
            self.queue = queue
            self.slotsPerWorker = slotsPerWorker
            self.maxRetries = maxRetries
        }
    }

    private struct Waiter {
        let id: UInt64
        let request: GenerateRequest
        let deadline: ContinuousClock.Instant
        let enqueued: ContinuousClock.Instant
        let continuation: CheckedContinuation<Dispatched, any Error>
    }

    fileprivate struct Dispatched: @unchecked Sendable {
        let worker: WorkerInstance
        let events: AsyncStream<RequestEvent>
    }

    private let pool: WorkerPool
    private let settings: Settings
    private let observer: any RouterObserver
    private let logger: Logger
    private let clock = ContinuousClock()
    private let lock = NSLock()
    private var queue: [Waiter] = []
    private var cancelledWaiters: Set<UInt64> = []
    private var nextID: UInt64 = 0
    /// Mean request duration (exponentially weighted), for Retry-After.
    private var meanSeconds = 5.0

    public init(pool: WorkerPool, settings: Settings, observer: (any RouterObserver)? = nil, logger: Logger) {
        self.pool = pool
        self.settings = settings
        self.observer = observer ?? NoRouterObserver()
        self.logger = logger
    }

    /// Requests waiting for a slot.
    public var queueDepth: Int { lock.withLock { queue.count } }

    /// Expires queued requests past their deadline and dispatches queued ones as slots free up
    /// or workers become ready.
    public func run() async throws {
        // The front end stops before the router (the service group's reverse order), so nothing
        // new arrives once this loop ends.
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: .milliseconds(50))
            pump()
        }
        // Shutting down: nothing queued will be served.
        let waiting = lock.withLock {
            let w = queue
            queue.removeAll()
            return w
        }
        for w in waiting { w.continuation.resume(throwing: RouteFailure.noWorker("the supervisor is shutting down")) }
    }

    /// A request admitted to a worker: the first attempt's worker and its events.
    public struct Lease: @unchecked Sendable {
        public let request: GenerateRequest
        public let deadline: ContinuousClock.Instant
        public let arrived: ContinuousClock.Instant
        public var worker: WorkerInstance { dispatched.worker }
        fileprivate let dispatched: Dispatched
    }

    /// Routes `request` (its `id` unique among requests in flight) to a worker, waiting in the
    /// queue when none has a free slot; fails with ``RouteFailure`` when the queue is full, no
    /// worker can serve soon or `deadline` passes first.
    public func admit(_ request: GenerateRequest, deadline: ContinuousClock.Instant) async throws -> Lease {
        let arrived = clock.now
        let dispatched = try await acquire(request, deadline: deadline, front: false)
        return Lease(request: request, deadline: deadline, arrived: arrived, dispatched: dispatched)
    }

    /// Follows an admitted request to its end, handing each event to `onEvent`: retried on
    /// another worker when its worker goes away (or starts draining) before the first token. An
    /// error thrown by `onEvent` (the client went away) cancels the request in its worker.
    public func follow(_ lease: Lease, onEvent: (Event) async throws -> Void) async throws {
        var dispatched = lease.dispatched
        var attempt = 0
        var tokens = 0
        while true {
            try await onEvent(.started(worker: dispatched.worker.name, queueWait: clock.now - lease.arrived,
                                       attempt: attempt))
            var retry = false
            defer { pump() }
            for await event in dispatched.events {
                switch event {
                case .token(let t):
                    tokens += 1
                    try await onEvent(.token(t))
                case .done(let d):
                    learn(duration: clock.now - lease.arrived)
                    if d.reason == .deadline { throw RouteFailure.deadline(afterTokens: tokens) }
                    try await onEvent(.done(d))
                    return
                case .refused(let e):
                    // A worker that began draining or filled up between choice and arrival: try another.
                    guard tokens == 0, [.draining, .overloaded, .notReady].contains(e.code), attempt < 8 else {
                        throw RouteFailure.refused(e)
                    }
                    retry = true
                case .workerLost(let why):
                    guard tokens == 0, attempt < settings.maxRetries else {
                        throw RouteFailure.workerLost(why, afterTokens: tokens)
                    }
                    logger.warning("retrying a request on another worker: \(why)",
                                   metadata: ["event": "request_retry", "request": "\(lease.request.id)"])
                    observer.retried()
                    retry = true
                }
            }
            if !retry { throw RouteFailure.workerLost("the worker's answer ended early", afterTokens: tokens) }
            if clock.now >= lease.deadline { throw RouteFailure.deadline(afterTokens: tokens) }
            attempt += 1
            var again = lease.request
            again.id = "\(lease.request.id)~\(attempt)"
            dispatched = try await acquire(again, deadline: lease.deadline, front: true)
        }
    }

    // MARK: admission

    private func acquire(_ request: GenerateRequest, deadline: ContinuousClock.Instant, front: Bool) async throws
        -> Dispatched
    {
        let status = pool.status
        guard Self.canServeSoon(status) else {
            observer.queueRejected()
            throw RouteFailure.noWorker(status.rows.isEmpty ? "no workers configured" : status.summary)
        }
        let admitted: Result<Dispatched?, RouteFailure>
        let id: UInt64
        (admitted, id) = lock.withLock {
            if queue.isEmpty, let d = dispatchLocked(request, deadline: deadline) { return (.success(d), 0) }
            if !front && queue.count >= settings.queue {
                let retryAfter = max(1, Int((Double(queue.count + 1) / Double(max(1, capacityLocked)) * meanSeconds)
                    .rounded(.up)))
                return (.failure(status.readyCount == 0 ? RouteFailure.noWorker(status.summary)
                    : RouteFailure.queueFull(retryAfter: retryAfter)), 0)
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
                let w = Waiter(id: id, request: request, deadline: deadline, enqueued: enqueued, continuation: continuation)
                if front { queue.insert(w, at: 0) } else { queue.append(w) }
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

    /// Dispatches queued requests while there is room, and fails those past their deadline.
    private func pump() {
        let now = clock.now
        var ready: [(Waiter, Dispatched)] = []
        var expired: [Waiter] = []
        lock.lock()
        expired = queue.filter { $0.deadline <= now }
        queue.removeAll { $0.deadline <= now }
        while let head = queue.first, let d = dispatchLocked(head.request, deadline: head.deadline) {
            queue.removeFirst()
            ready.append((head, d))
        }
        let depth = queue.count
        lock.unlock()
        if !ready.isEmpty || !expired.isEmpty { observer.queueDepth(depth) }
        for w in expired { w.continuation.resume(throwing: RouteFailure.deadline(afterTokens: 0)) }
        for (w, d) in ready { w.continuation.resume(returning: d) }
    }

    /// Sends the request to the least-loaded serving worker with a free slot, if any. Called with
    /// the lock held, so two requests never take the same last slot.
    private func dispatchLocked(_ request: GenerateRequest, deadline: ContinuousClock.Instant) -> Dispatched? {
        guard let worker = pool.servingInstances.first(where: { $0.snapshot.pending < settings.slotsPerWorker }) else {
            return nil
        }
        var r = request
        r.deadlineMs = max(1, Int((deadline - clock.now).milliseconds))
        return Dispatched(worker: worker, events: worker.generate(r))
    }

    private var capacityLocked: Int { max(1, pool.status.rows.filter { $0.state.isRunning }.count) * settings.slotsPerWorker }

    private func learn(duration: Duration) {
        lock.withLock { meanSeconds = 0.9 * meanSeconds + 0.1 * duration.seconds }
    }

    /// Some worker is serving, or will be without an operator's help (starting, restarting, backing off).
    static func canServeSoon(_ status: PoolStatus) -> Bool {
        status.rows.contains { row in
            switch row.state {
            case .ready, .busy, .starting, .loading, .draining, .stopping, .exited, .backoff: return true
            case .stopped, .fatal: return false
            }
        }
    }
}
