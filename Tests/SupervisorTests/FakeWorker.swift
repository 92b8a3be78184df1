import Foundation
import GenerationTypes
import Supervisor
import WorkerProtocol

/// A worker link that answers only when the test tells it to: requests stay open until the test sends their
/// tokens, ends them, refuses them or "crashes" the worker. Every request it receives is recorded.
final class FakeWorker: WorkerLink, @unchecked Sendable {
    let name: String
    private let lock = NSLock()
    private var open: [String: AsyncStream<RequestEvent>.Continuation] = [:]
    private var received: [GenerateRequest] = []
    private var abandoned: [String] = []
    /// When set, every request is refused at once with this code (a worker that began draining, say).
    var refuseWith: ErrorReply.Code? {
        get { lock.withLock { refusal } }
        set { lock.withLock { refusal = newValue } }
    }
    private var refusal: ErrorReply.Code?
    /// Runs when a request is refused, before the refusal is delivered (with the router's lock held: it must
    /// not call back into the router).
    var onRefusal: (@Sendable () -> Void)? {
        get { lock.withLock { refusalHook } }
        set { lock.withLock { refusalHook = newValue } }
    }
    private var refusalHook: (@Sendable () -> Void)?

    init(_ name: String) { self.name = name }

    var pending: Int { lock.withLock { open.count } }
    var requests: [GenerateRequest] { lock.withLock { received } }
    var abandonedIDs: [String] { lock.withLock { abandoned } }
    var openIDs: [String] { lock.withLock { open.keys.sorted() } }

    func generate(_ request: GenerateRequest) -> AsyncStream<RequestEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: RequestEvent.self)
        let refused: ErrorReply.Code? = lock.withLock {
            received.append(request)
            if self.refusal == nil { open[request.id] = continuation }
            return self.refusal
        }
        if let refused {
            onRefusal?()
            continuation.yield(.refused(ErrorReply(id: request.id, code: refused, message: "\(name) refuses")))
            continuation.finish()
        }
        return stream
    }

    @discardableResult
    func abandon(_ id: String, with event: RequestEvent) -> Bool {
        let c: AsyncStream<RequestEvent>.Continuation? = lock.withLock {
            abandoned.append(id)
            return open.removeValue(forKey: id)
        }
        guard let c else { return false }
        c.yield(event)
        c.finish()
        return true
    }

    /// Sends `count` tokens of request `id`.
    func tokens(_ id: String, _ count: Int) {
        let c = lock.withLock { open[id] }
        for i in 0 ..< count { c?.yield(.token(TokenEvent(id: id, index: i, token: Int32(i), text: "t\(i)"))) }
    }

    /// Ends request `id` the way the worker does.
    func end(_ id: String, _ reason: FinishReason, tokens: Int = 0) {
        guard let c = lock.withLock({ open.removeValue(forKey: id) }) else { return }
        c.yield(.done(Done(id: id, reason: reason, usage: Usage(promptTokens: 1, completionTokens: tokens),
                           timings: Timings(queueMs: 0, prefillMs: 0, firstTokenMs: 0, decodeMs: 0, totalMs: 0))))
        c.finish()
    }

    /// The process died: every open request is lost.
    func crash() {
        let all = lock.withLock {
            let all = open
            open.removeAll()
            return all
        }
        for (_, c) in all {
            c.yield(.workerLost("\(name) ended: crash"))
            c.finish()
        }
    }
}
