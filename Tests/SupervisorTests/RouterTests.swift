import ControlProtocol
import Foundation
import GenerationTypes
import Logging
@testable import Supervisor
import Testing
import WorkerProtocol

/// The router's rules in process, against fake workers that misbehave on cue: dispatch, queueing, deadlines,
/// retries and shutdown, each in milliseconds. The end-to-end suites check the same paths through real workers.
@Suite("request router (in process)")
struct RouterTests {
    static let quiet = Logger(label: "router-test") { _ in SwiftLogNoOpLogHandler() }

    func router(_ pool: FakePool, queue: Int = 4, slots: Int = 1, retries: Int = 2,
                grace: Duration = .milliseconds(20)) -> RequestRouter {
        RequestRouter(pool: pool, settings: .init(queue: queue, slotsPerWorker: slots, maxRetries: retries,
                                                  deadlineGrace: grace), logger: Self.quiet)
    }

    func request(_ id: String) -> GenerateRequest { GenerateRequest(id: id, prompt: .text("hi"), maxTokens: 4) }

    /// A deadline `seconds` away; by default an hour, which no slow run reaches.
    func soon(_ seconds: Double = 3600) -> ContinuousClock.Instant { .now + .milliseconds(Int64(seconds * 1000)) }

    /// Waits until `condition` holds. The bound is generous on purpose: beside the engine suites' compute on two
    /// cores, this process's few threads may all be taken for minutes; a wait that succeeds returns at once.
    func until(_ what: String, _ condition: () -> Bool) async throws {
        let end = ContinuousClock.now + .seconds(600)
        while !condition() {
            guard ContinuousClock.now < end else { throw RouterTestTimeout(what: what) }
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    /// Reads a session to its end: the workers it started on, the tokens, and how it ended.
    func drain(_ session: RouteSession) async -> (workers: [String], tokens: Int, result: Result<FinishReason, RouteFailure>) {
        var workers: [String] = []
        var tokens = 0
        do {
            while let event = try await session.next() {
                switch event {
                case .started(let worker, _, _): workers.append(worker)
                case .token: tokens += 1
                case .done(let d): return (workers, tokens, .success(d.reason))
                }
            }
            return (workers, tokens, .failure(.workerLost("ended without done", afterTokens: tokens)))
        } catch let failure as RouteFailure {
            return (workers, tokens, .failure(failure))
        } catch {
            return (workers, tokens, .failure(.workerLost("\(error)", afterTokens: tokens)))
        }
    }

    @Test("a request goes to a worker with a free slot, least loaded first")
    func dispatchLeastLoaded() async throws {
        let a = FakeWorker("a"), b = FakeWorker("b")
        let r = router(FakePool([a, b]), slots: 1)
        _ = try await r.admit(request("1"), deadline: soon())
        _ = try await r.admit(request("2"), deadline: soon())
        #expect(a.openIDs.count + b.openIDs.count == 2)
        #expect(a.pending == 1 && b.pending == 1)
        // The deadline goes to the worker as milliseconds left.
        let sent = try #require(a.requests.first ?? b.requests.first)
        #expect((sent.deadlineMs ?? 0) > 3_000_000 && (sent.deadlineMs ?? 0) <= 3_600_000)
    }

    @Test("with every slot taken, requests wait in order and go out as slots free")
    func queueFIFO() async throws {
        let a = FakeWorker("a")
        let r = router(FakePool([a]), queue: 4, slots: 1)
        let first = r.session(try await r.admit(request("1"), deadline: soon()))
        async let second = r.admit(request("2"), deadline: soon())
        try await until("2 queued") { r.queueDepth == 1 }
        async let third = r.admit(request("3"), deadline: soon())
        try await until("3 queued") { r.queueDepth == 2 }
        #expect(a.requests.map(\.id) == ["1"])
        a.tokens("1", 2)
        a.end("1", .length, tokens: 2)
        let ended = await drain(first)
        #expect(ended.tokens == 2)
        #expect(try ended.result.get() == .length)
        let secondSession = r.session(try await second)
        #expect(a.requests.map(\.id) == ["1", "2"])
        a.end("2", .stop)
        #expect(try await drain(secondSession).result.get() == .stop)
        _ = try await third
        #expect(a.requests.map(\.id) == ["1", "2", "3"])
        #expect(r.queueDepth == 0)
    }

    @Test("a full queue refuses at once with a Retry-After")
    func queueFull() async throws {
        let a = FakeWorker("a")
        let r = router(FakePool([a]), queue: 1, slots: 1)
        _ = try await r.admit(request("1"), deadline: soon())
        async let waiting = r.admit(request("2"), deadline: soon(0.3))
        try await until("2 queued") { r.queueDepth == 1 }
        await #expect {
            _ = try await r.admit(request("3"), deadline: soon())
        } throws: { error in
            guard case .queueFull(let after)? = error as? RouteFailure else { return false }
            return after >= 1
        }
        r.abandonAll("the test is over")
        _ = try? await waiting
    }

    @Test("a request still queued at its deadline fails as a timeout with no tokens")
    func queuedDeadline() async throws {
        let a = FakeWorker("a")
        let r = router(FakePool([a]), slots: 1)
        _ = try await r.admit(request("1"), deadline: soon())
        // The deadline is taken here: an `async let`'s arguments are evaluated when its task runs, which on a busy
        // machine may be after the pump below (and then nothing would pump again).
        let deadline = soon(0.05)
        async let late = r.admit(request("2"), deadline: deadline)
        // Past its deadline the next pump fails it (the admission's own pump, when this test was slow to get there).
        try await Task.sleep(for: .milliseconds(60))
        r.pump()
        var failure: RouteFailure?
        do { _ = try await late } catch { failure = error as? RouteFailure }
        guard case .deadline(afterTokens: 0)? = failure else {
            Issue.record("expected a deadline with no tokens, got \(String(describing: failure))")
            return
        }
        #expect(a.requests.map(\.id) == ["1"])
    }

    @Test("a worker lost before the first token: the request starts over on another worker")
    func retryBeforeTokens() async throws {
        let a = FakeWorker("a"), b = FakeWorker("b")
        let pool = FakePool([a])
        let r = router(pool, slots: 1)
        let session = r.session(try await r.admit(request("1"), deadline: soon()))
        async let outcome = drain(session)
        try await until("sent to a") { a.pending == 1 }
        pool.set([(a, .backoff), (b, .ready)])  // the pool sees the exit before the router retries
        a.crash()
        try await until("retried on b") { b.pending == 1 }
        #expect(b.requests.map(\.id) == ["1~1"])
        b.tokens("1~1", 3)
        b.end("1~1", .stop, tokens: 3)
        let ended = await outcome
        #expect(ended.workers == ["a", "b"])
        #expect(ended.tokens == 3)
        #expect(try ended.result.get() == .stop)
    }

    @Test("a worker lost after tokens reached the client: an error, never a shorter answer")
    func lostAfterTokens() async throws {
        let a = FakeWorker("a"), b = FakeWorker("b")
        let r = router(FakePool([a, b]), slots: 1)
        let session = r.session(try await r.admit(request("1"), deadline: soon()))
        let worker = try #require([a, b].first { $0.pending == 1 })
        async let outcome = drain(session)
        worker.tokens("1", 2)
        worker.crash()
        let ended = await outcome
        guard case .failure(.workerLost(_, let after)) = ended.result else {
            Issue.record("expected workerLost, got \(ended.result)")
            return
        }
        #expect(after == 2)
        #expect(ended.workers.count == 1)
    }

    @Test("a replayable request (not streamed yet) is retried even after tokens")
    func replayableRetry() async throws {
        let a = FakeWorker("a"), b = FakeWorker("b")
        let pool = FakePool([a])
        let r = router(pool, slots: 1)
        let session = r.session(try await r.admit(request("1"), deadline: soon()), replayable: true)
        async let outcome = drain(session)
        a.tokens("1", 2)
        pool.set([(a, .starting), (b, .ready)])
        a.crash()
        try await until("retried on b") { b.pending == 1 }
        b.end("1~1", .stop, tokens: 0)
        let ended = await outcome
        #expect(ended.workers == ["a", "b"])
        #expect(try ended.result.get() == .stop)
    }

    @Test("retries are bounded: losses past max_retries fail the request")
    func retryBudget() async throws {
        let a = FakeWorker("a")
        let r = router(FakePool([a]), slots: 1, retries: 2)
        let session = r.session(try await r.admit(request("1"), deadline: soon()))
        async let outcome = drain(session)
        for attempt in 0 ..< 3 {
            try await until("attempt \(attempt)") { a.pending == 1 }
            a.crash()
        }
        let ended = await outcome
        guard case .failure(.noWorker) = ended.result else {
            Issue.record("expected noWorker, got \(ended.result)")
            return
        }
        #expect(a.requests.map(\.id) == ["1", "1~1", "1~2"])
    }

    @Test("a draining refusal sends the request to another worker without counting as a loss")
    func refusedElsewhere() async throws {
        let a = FakeWorker("a"), b = FakeWorker("b")
        let pool = FakePool([a])
        a.refuseWith = .draining
        // A worker that began draining as the request arrived: the pool knows by the time the router retries.
        a.onRefusal = { pool.set([(a, .draining), (b, .ready)], signal: false) }
        let r = router(pool, slots: 1, retries: 0)
        let session = r.session(try await r.admit(request("1"), deadline: soon()))
        async let outcome = drain(session)
        try await until("sent to b") { b.pending == 1 }
        #expect(a.requests.count == 1)
        b.end("1~1", .stop)
        let ended = await outcome
        #expect(try ended.result.get() == .stop)
        #expect(ended.workers == ["a", "b"])
    }

    @Test("a bad-request refusal is the client's error, not retried")
    func refusedBadRequest() async throws {
        let a = FakeWorker("a"), b = FakeWorker("b")
        a.refuseWith = .badRequest
        b.refuseWith = .badRequest
        let r = router(FakePool([a, b]), slots: 1)
        let ended = await drain(r.session(try await r.admit(request("1"), deadline: soon())))
        guard case .failure(.refused(let e)) = ended.result else {
            Issue.record("expected refused, got \(ended.result)")
            return
        }
        #expect(e.code == .badRequest)
        #expect(a.requests.count + b.requests.count == 1)
    }

    @Test("a worker that lets a request run past its deadline: the router ends it there")
    func runningDeadline() async throws {
        let a = FakeWorker("a")
        let r = router(FakePool([a]), slots: 1, grace: .milliseconds(10))
        let session = r.session(try await r.admit(request("1"), deadline: soon(0.05)))
        guard case .started? = try await session.next() else {  // from here on the router watches its deadline
            Issue.record("expected the start")
            return
        }
        a.tokens("1", 1)
        try await Task.sleep(for: .milliseconds(70))  // deadline and grace pass; the worker says nothing
        r.pump()
        let ended = await drain(session)
        guard case .failure(.deadline(let after)) = ended.result else {
            Issue.record("expected deadline, got \(ended.result)")
            return
        }
        #expect(after == 1)
        #expect(a.abandonedIDs == ["1"])
    }

    @Test("no worker able to serve soon: refused at once, Retry-After from the nearest restart")
    func noWorkerSoon() async throws {
        let a = FakeWorker("a")
        let pool = FakePool([a])
        pool.set([(a, .backoff)], retryIn: 7.2)
        let r = router(pool)
        await #expect {
            _ = try await r.admit(request("1"), deadline: soon())
        } throws: { error in
            guard case .noWorker(_, let after)? = error as? RouteFailure else { return false }
            return after == 8
        }
        #expect(a.requests.isEmpty)
    }

    @Test("queued requests fail when the last hope goes (every worker stopped or fatal)")
    func hopelessQueue() async throws {
        let a = FakeWorker("a")
        let pool = FakePool([a])
        let r = router(pool, slots: 1)
        _ = try await r.admit(request("1"), deadline: soon())
        async let waiting = r.admit(request("2"), deadline: soon())
        try await until("2 queued") { r.queueDepth == 1 }
        pool.set([(a, .fatal)], retryIn: 30)
        var failure: RouteFailure?
        do { _ = try await waiting } catch { failure = error as? RouteFailure }
        guard case .noWorker(_, let after)? = failure else {
            Issue.record("expected noWorker, got \(String(describing: failure))")
            return
        }
        #expect(after == 30)
    }

    @Test("shutdown ends queued and running requests as errors and takes no retries")
    func abandonAll() async throws {
        let a = FakeWorker("a")
        let r = router(FakePool([a]), slots: 1)
        let session = r.session(try await r.admit(request("1"), deadline: soon()))
        guard case .started? = try await session.next() else {  // running and watched
            Issue.record("expected the start")
            return
        }
        async let running = drain(session)
        async let waiting = r.admit(request("2"), deadline: soon())
        try await until("2 queued") { r.queueDepth == 1 }
        r.abandonAll("test shutdown")
        var failure: RouteFailure?
        do { _ = try await waiting } catch { failure = error as? RouteFailure }
        #expect(failure != nil)
        let ended = await running
        guard case .failure(.noWorker) = ended.result else {
            Issue.record("expected noWorker (no retry during shutdown), got \(ended.result)")
            return
        }
        await #expect(throws: RouteFailure.self) { _ = try await r.admit(request("3"), deadline: soon()) }
    }

    @Test("a client that goes away cancels its request in the worker")
    func clientCancel() async throws {
        let a = FakeWorker("a")
        let r = router(FakePool([a]), slots: 1)
        let session = r.session(try await r.admit(request("1"), deadline: soon()))
        _ = try await session.next()  // started
        session.cancel()
        #expect(a.abandonedIDs == ["1"])
        #expect(a.pending == 0)
        #expect(try await session.next() == nil)
    }

    @Test("a request cancelled while queued leaves the queue and is never sent")
    func cancelQueued() async throws {
        let a = FakeWorker("a")
        let r = router(FakePool([a]), slots: 1)
        _ = try await r.admit(request("1"), deadline: soon())
        let waiting = Task { try await r.admit(request("2"), deadline: soon()) }
        try await until("2 queued") { r.queueDepth == 1 }
        waiting.cancel()
        await #expect(throws: CancellationError.self) { _ = try await waiting.value }
        #expect(r.queueDepth == 0)
        a.end("1", .stop)
        r.pump()
        #expect(a.requests.map(\.id) == ["1"])
    }
}

struct RouterTestTimeout: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for: \(what)" }
}
