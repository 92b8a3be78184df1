import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Supervisor
import WorkerProtocol

/// `POST /v1/completions` and `POST /v1/chat/completions`: decode and validate, admit through
/// the router (429 / 503 / 504 before anything is sent), then answer whole or as server-sent events.
struct CompletionEndpoint: Sendable {
    let router: RequestRouter
    let metrics: ServerMetrics
    let limits: APILimits
    let requestTimeout: Duration
    let maxBodyBytes: Int
    let logger: Logger

    func handle(_ request: Request, kind: InferenceRequest.Kind) async throws -> Response {
        let arrived = ContinuousClock.now
        var request = request
        // A declared length over the limit is refused before a byte of it is read.
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > maxBodyBytes {
            throw APIError.bodyTooLarge(limit: maxBodyBytes)
        }
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: maxBodyBytes)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError.bodyTooLarge(limit: maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw APIError.bodyTooLarge(limit: maxBodyBytes)
        }
        let bytes = Array(buffer: body)
        let inference = kind == .chat ? try OpenAIDecoder.chat(bytes, limits: limits)
            : try OpenAIDecoder.completion(bytes, limits: limits)
        let id = kind == .chat ? OpenAIResponseID.chat() : OpenAIResponseID.completion()
        let lease: RequestRouter.Lease
        do {
            lease = try await router.admit(inference.generateRequest(id: id, deadlineMs: nil),
                                           deadline: arrived + requestTimeout)
        } catch let failure as RouteFailure {
            throw failure.apiError(timeout: requestTimeout)
        }
        let clock = TokenClock(metrics: metrics, arrived: arrived)
        let session = router.session(lease, replayable: !inference.stream)
        if inference.stream {
            return try await streamed(session, inference, id: id, clock: clock)
        }
        return try await whole(session, inference, id: id, clock: clock)
    }

    /// The whole answer in one JSON body. Nothing reaches the client before the end, so a request its worker
    /// lost (crash, restart, drain, shutdown) starts over on another worker; a request that cannot finish is an
    /// error (503/504), never a shorter answer.
    private func whole(_ session: RouteSession, _ inference: InferenceRequest, id: String, clock: TokenClock)
        async throws -> Response
    {
        var clock = clock
        var text = ""
        var done: Done?
        do {
            while let event = try await session.next() {
                switch event {
                case .started(_, _, let attempt):
                    if attempt > 0 { text = "" }
                case .token(let t):
                    clock.token()
                    text += t.text
                case .done(let d):
                    text += d.tail
                    done = d
                }
            }
        } catch let failure as RouteFailure {
            throw failure.apiError(timeout: requestTimeout)
        }
        guard let done else { throw APIError.workerFailed("the request ended without an answer") }
        clock.finished(done.usage)
        let json = inference.kind == .chat
            ? ChatCompletionResponse(id: id, model: inference.model, content: text, finishReason: done.reason,
                                     usage: done.usage).json()
            : CompletionResponse(id: id, model: inference.model, text: text, finishReason: done.reason,
                                 usage: done.usage).json()
        return Response(status: .ok, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: json)))
    }

    /// Server-sent events: a chunk per token, the finish chunk, the usage chunk when asked, `[DONE]`. The 200
    /// and its headers wait for the first token (or the end), so a request that fails before it gets a real
    /// status (400, 503, 504) that a client or load balancer can act on. A failure after it ends the stream
    /// with an error event and no finish chunk.
    private func streamed(_ session: RouteSession, _ inference: InferenceRequest, id: String, clock: TokenClock)
        async throws -> Response
    {
        var opening: [RequestRouter.Event] = []
        do {
            while let event = try await session.next() {
                opening.append(event)
                if case .started = event { continue }
                break
            }
        } catch let failure as RouteFailure {
            throw failure.apiError(timeout: requestTimeout)
        }
        let first = opening
        let created = OpenAIResponseID.now()
        let chat = inference.kind == .chat
        let timeout = requestTimeout
        let logger = self.logger
        let metrics = self.metrics
        let body = ResponseBody { writer in
            var clock = clock
            var started = false
            func send(_ json: [UInt8]) async throws { try await writer.write(ByteBuffer(bytes: ServerSentEvents.event(json))) }
            func chunk(_ body: StreamChunk.Body, usage: Bool = inference.includeUsage) -> [UInt8] {
                StreamChunk(inference.kind, id: id, created: created, model: inference.model, body: body,
                            includeUsage: usage).json()
            }
            func handle(_ event: RequestRouter.Event) async throws {
                switch event {
                case .started:
                    if chat && !started { try await send(chunk(.start)) }
                    started = true
                case .token(let t):
                    clock.token()
                    if !t.text.isEmpty { try await send(chunk(.content(t.text))) }
                case .done(let d):
                    if !d.tail.isEmpty { try await send(chunk(.content(d.tail))) }
                    try await send(chunk(.finish(d.reason)))
                    if inference.includeUsage { try await send(chunk(.usage(d.usage), usage: true)) }
                    clock.finished(d.usage)
                }
            }
            do {
                for event in first { try await handle(event) }
                while let event = try await session.next() { try await handle(event) }
            } catch let failure as RouteFailure {
                logger.warning("a streamed request failed: \(failure)", metadata: ["event": "stream_failed", "request": "\(id)"])
                let error = failure.apiError(timeout: timeout)
                metrics.streamFailed(code: error.code ?? "error")
                try await writer.write(ByteBuffer(bytes: ServerSentEvents.error(error)))
                try await writer.finish(nil)
                return
            } catch {
                // The client went away (a write failed) or the connection was cancelled: stop the work.
                session.cancel()
                throw error
            }
            try await writer.write(ByteBuffer(bytes: ServerSentEvents.done))
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }
}
