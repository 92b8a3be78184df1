import AsyncHTTPClient
import Foundation
import NIOCore

/// Sends one streamed completion and times it: the first chunk carrying text (TTFT), every gap between such
/// chunks (ITL), the end (E2E); tokens come from the server's `usage`, never from counting chunks.
struct StreamingRequest {
    let endpoint: ServerEndpoint
    let request: CompletionRequest
    let timeoutSeconds: Int64

    /// `runStart`: the monotonic time the run's offsets count from. `scheduled`: in open loop, the time the
    /// request was due, from which its latencies count.
    func run(
        phase: String, index: Int, client: Int, runStart: UInt64, scheduled: UInt64? = nil
    ) async
        -> RequestOutcome
    {
        let sent = MonotonicClock.now()
        let origin = scheduled ?? sent
        var outcome = RequestOutcome(
            phase: phase, index: index, client: client,
            startS: MonotonicClock.seconds(runStart, sent))
        if let scheduled {
            outcome.scheduledS = MonotonicClock.seconds(runStart, scheduled)
            outcome.lagMs = max(0, MonotonicClock.milliseconds(scheduled, sent))
        }
        // The exchange so far, kept outside the task that a timeout cancels: a stream cut short still tells its
        // status and how far it got.
        let progress = Locked(Partial())
        var timing = ChunkTiming()
        do {
            let exchange: Exchange = try await Self.withDeadline(seconds: Double(timeoutSeconds)) { [self] in
                // A pooled connection the server closed while idle (llama-server does this) fails before
                // any of the request reached the server: the request goes again. The pool drops each
                // dead connection as it fails, so the tries are bounded by the pool's size.
                var attempt = 0
                while true {
                    do {
                        return try await self.exchange(progress)
                    } catch where attempt < Self.staleConnectionRetries && progress.current.status == 0
                        && Self.isStaleConnection(error)
                    {
                        attempt += 1
                        progress.withLock { $0.retries = attempt }
                    }
                }
            }
            timing = exchange.timing
            outcome.httpStatus = exchange.status
            if exchange.status != 200 {
                outcome.error = "http_\(exchange.status)"
                let body = Data(exchange.errorBody)
                outcome.message =
                    (try? JSONDecoder().decode(ErrorEnvelope.self, from: body))?.error.message
                    ?? String(decoding: body.prefix(300), as: UTF8.self)
            } else if exchange.lineTooLong {
                outcome.error = "bad_stream"
                outcome.message = "a stream line longer than \(ServerSentEventParser.maxLineBytes) bytes"
            } else {
                exchange.state.finish(&outcome)
            }
        } catch is RequestTimedOut {
            progress.current.apply(to: &outcome, timing: &timing)
            outcome.error = "timeout"
            outcome.message = "no complete response within \(timeoutSeconds) s"
        } catch {
            progress.current.apply(to: &outcome, timing: &timing)
            outcome.error = Self.kind(of: error)
            outcome.message = ServerEndpoint.describe(error)
        }
        if progress.current.retries > 0 { outcome.retries = progress.current.retries }
        let end = MonotonicClock.now()
        outcome.endS = MonotonicClock.seconds(runStart, end)
        outcome.chunks = timing.chunks
        outcome.itlMs = timing.gaps
        if let first = timing.first { outcome.ttftMs = MonotonicClock.milliseconds(origin, first) }
        if outcome.ok {
            let e2e = MonotonicClock.milliseconds(origin, end)
            outcome.e2eMs = e2e
            if let ttft = outcome.ttftMs, let tokens = outcome.completionTokens, tokens > 1 {
                outcome.tpotMs = (e2e - ttft) / Double(tokens - 1)
            }
        }
        return outcome
    }

    /// What one request's stream said, and when its text arrived.
    struct Exchange: Sendable {
        var status = 0
        var errorBody: [UInt8] = []
        var timing = ChunkTiming()
        var state = StreamState()
        var lineTooLong = false
    }

    /// Sends the request and reads the whole response.
    /// How far a request got: what a timeout or a broken connection leaves to report.
    struct Partial: Sendable {
        var status = 0
        /// How often the request went again after its pooled connection turned out closed.
        var retries = 0
        var chunks = 0
        var first: UInt64?

        func apply(to outcome: inout RequestOutcome, timing: inout ChunkTiming) {
            outcome.httpStatus = status == 0 ? nil : status
            timing.chunks = chunks
            timing.first = first
        }
    }

    func exchange(_ progress: Locked<Partial>) async throws -> Exchange {
        var result = Exchange()
        let http = endpoint.request(request.endpoint.path, method: "POST", body: request.body)
        let response = try await endpoint.client.execute(http, timeout: .seconds(timeoutSeconds))
        result.status = Int(response.status.code)
        progress.withLock { $0.status = result.status }
        if response.status.code != 200 {
            for try await buffer in response.body where result.errorBody.count < 65536 {
                result.errorBody.append(contentsOf: buffer.readableBytesView)
            }
            return result
        }
        var parser = ServerSentEventParser()
        // Read to the end of the body, past [DONE]: leaving it unread would cost the connection.
        for try await buffer in response.body {
            let now = MonotonicClock.now()
            do {
                for event in try parser.feed(buffer.readableBytesView) {
                    result.state.take(event, at: now, timing: &result.timing)
                }
            } catch {
                result.lineTooLong = true
                return result
            }
            progress.withLock {
                $0.chunks = result.timing.chunks
                $0.first = result.timing.first
            }
        }
        return result
    }

    struct RequestTimedOut: Error {}

    /// `body`'s result, or ``RequestTimedOut`` once `seconds` pass (the body is cancelled then). AsyncHTTPClient's
    /// own timeout covers the wait for the response head, not a stream that stalls after it.
    static func withDeadline<T: Sendable>(
        seconds: Double, _ body: @escaping @Sendable () async throws -> T
    )
        async throws -> T
    {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else { throw RequestTimedOut() }
            return value
        }
    }

    /// Tries on further connections after a stale one: more than the clients a run has.
    static let staleConnectionRetries = 16

    /// Errors of a pooled connection the server closed before this request was written to it.
    static func isStaleConnection(_ error: any Error) -> Bool {
        if let e = error as? HTTPClientError {
            return e == .remoteConnectionClosed
        }
        if let e = error as? ChannelError {
            switch e {
            case .ioOnClosedChannel, .outputClosed, .alreadyClosed, .eof: return true
            default: return false
            }
        }
        if let e = error as? IOError { return e.errnoCode == EPIPE || e.errnoCode == ECONNRESET }
        return false
    }

    static func kind(of error: any Error) -> String {
        if let e = error as? HTTPClientError {
            switch e {
            case .deadlineExceeded, .readTimeout, .writeTimeout: return "timeout"
            default: return "connection"
            }
        }
        if error is CancellationError { return "cancelled" }
        return "connection"
    }
}

/// Arrival times of the chunks that carried text.
struct ChunkTiming: Sendable {
    var first: UInt64?
    var last: UInt64 = 0
    var chunks = 0
    var gaps: [Double] = []

    mutating func arrived(at t: UInt64) {
        if first == nil {
            first = t
        } else {
            // Three decimals (1 µs) keep requests.jsonl short without losing what the histograms resolve.
            gaps.append((MonotonicClock.milliseconds(last, t) * 1000).rounded() / 1000)
        }
        last = t
        chunks += 1
    }
}

/// What the events of one stream said so far.
struct StreamState: Sendable {
    var done = false
    var usage: StreamChunk.Usage?
    var finishReason: String?
    var errorMessage: String?
    var undecodable = 0

    mutating func take(_ event: [UInt8], at t: UInt64, timing: inout ChunkTiming) {
        if event == Array("[DONE]".utf8) {
            done = true
            return
        }
        guard let chunk = try? JSONDecoder().decode(StreamChunk.self, from: Data(event)) else {
            undecodable += 1
            return
        }
        if let error = chunk.error {
            errorMessage = [error.code, error.message].compactMap { $0 }.joined(separator: ": ")
            return
        }
        if !chunk.text.isEmpty { timing.arrived(at: t) }
        if let reason = chunk.choices?.first?.finishReason { finishReason = reason }
        if let usage = chunk.usage { self.usage = usage }
    }

    func finish(_ outcome: inout RequestOutcome) {
        outcome.finishReason = finishReason
        outcome.completionTokens = usage?.completionTokens
        outcome.promptTokens = usage?.promptTokens
        if let errorMessage {
            outcome.error = "error_event"
            outcome.message = errorMessage
        } else if !done {
            outcome.error = "connection"
            outcome.message = "the stream ended without [DONE]"
        } else if usage?.completionTokens == nil {
            outcome.error = "bad_stream"
            outcome.message = "the stream carried no usage (stream_options.include_usage)"
        } else if undecodable > 0 {
            outcome.error = "bad_stream"
            outcome.message = "\(undecodable) events were not JSON"
        }
    }
}
