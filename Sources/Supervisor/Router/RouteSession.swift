import Foundation
import WorkerProtocol

/// One admitted request followed to its end, pulled event by event, so a caller can wait for the first event
/// before it commits to a status (a streamed response's 200) and go on reading after.
///
/// The rules, per attempt: tokens pass through; `done` ends the request only for `stop` and `length`. A
/// worker that dies, drains or is stopped under the request (`done` with `cancelled`/`error`, `workerLost`, a
/// `draining`/`overloaded` refusal) makes the request start over on another worker or the replacement when
/// nothing of it has reached the client (always when the caller is `replayable`, else only before the first
/// token), within the retry budget and the deadline; otherwise it fails. A cut request never ends as a
/// normal one.
public final class RouteSession: @unchecked Sendable {
    private let router: RequestRouter
    private let lease: RequestRouter.Lease
    private let replayable: Bool
    private var dispatched: RequestRouter.Dispatched
    private var iterator: AsyncStream<RequestEvent>.AsyncIterator?
    private var watchKey: UInt64?
    private var attempt = 0
    private var losses = 0
    private var tokens = 0
    private var cut: String?
    private var refused = false
    private var finished = false

    init(router: RequestRouter, lease: RequestRouter.Lease, replayable: Bool) {
        self.router = router
        self.lease = lease
        self.replayable = replayable
        dispatched = lease.dispatched
    }

    deinit { cancel() }

    /// The id of the current attempt in its worker.
    private var attemptID: String { attempt == 0 ? lease.request.id : "\(lease.request.id)~\(attempt)" }

    /// The next event, nil after `done`; throws ``RouteFailure`` (or `CancellationError`).
    public func next() async throws -> RequestRouter.Event? {
        while !finished {
            guard var events = iterator else {
                iterator = dispatched.events.makeAsyncIterator()
                watchKey = router.watch(dispatched.worker, attemptID, deadline: lease.deadline)
                tokens = 0
                cut = nil
                refused = false
                return .started(worker: dispatched.worker.name, queueWait: router.clock.now - lease.arrived,
                                attempt: attempt)
            }
            let event = await events.next()
            iterator = events
            guard let event else {
                endAttempt()
                try await startOver()
                continue
            }
            switch event {
            case .token(let t):
                tokens += 1
                return .token(t)
            case .done(let d):
                switch d.reason {
                case .stop, .length:
                    router.learn(duration: router.clock.now - lease.arrived)
                    finish()
                    return .done(d)
                case .deadline:
                    finish()
                    throw RouteFailure.deadline(afterTokens: tokens)
                case .cancelled, .error:
                    // Not the client's cancel (that never reaches here): a drain, restart or shutdown of the
                    // worker ran out of time under the request.
                    cut = "\(dispatched.worker.name) stopped before the request finished"
                }
            case .expired:
                finish()
                throw RouteFailure.deadline(afterTokens: tokens)
            case .refused(let e):
                // A worker that began draining or filled up between choice and arrival: try another.
                guard tokens == 0, [.draining, .overloaded, .notReady].contains(e.code), attempt < 8 else {
                    finish()
                    throw RouteFailure.refused(e)
                }
                refused = true
                cut = e.message
            case .workerLost(let why):
                cut = why
            }
        }
        return nil
    }

    /// Cancels the request in its worker (the client went away); later calls of ``next()`` return nil.
    public func cancel() {
        guard !finished else { return }
        dispatched.worker.abandon(attemptID, with: .workerLost("cancelled"))
        finish()
    }

    private func finish() {
        finished = true
        iterator = nil
        endAttempt()
    }

    private func endAttempt() {
        if let key = watchKey { router.unwatch(key) }
        watchKey = nil
    }

    /// The attempt's events ended without an end of the request: retry, or fail.
    private func startOver() async throws {
        iterator = nil
        do {
            try Task.checkCancellation()
        } catch {
            cancel()
            throw error
        }
        let why = cut ?? "the worker's answer ended early"
        guard replayable || tokens == 0 else {
            finish()
            throw RouteFailure.workerLost(why, afterTokens: tokens)
        }
        if !refused { losses += 1 }
        guard losses <= router.settings.maxRetries, attempt < 8, !router.isShuttingDown else {
            finish()
            throw RouteFailure.noWorker("\(why); no other worker took the request", retryAfter: router.retryAfterNoWorker)
        }
        guard router.clock.now < lease.deadline else {
            finish()
            throw RouteFailure.deadline(afterTokens: tokens)
        }
        if !refused {
            router.logger.warning("retrying a request on another worker: \(why)", metadata: [
                "event": "request_retry", "request": "\(lease.request.id)", "tokens": "\(tokens)",
            ])
            router.observer.retried()
        }
        attempt += 1
        var again = lease.request
        again.id = attemptID
        do {
            dispatched = try await router.acquire(again, deadline: lease.deadline, retry: true)
        } catch {
            finished = true
            throw error
        }
    }
}
