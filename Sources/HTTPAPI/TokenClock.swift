import ControlProtocol
import Supervisor
import WorkerProtocol

/// Times a request's tokens for the latency histograms: first token from arrival (TTFT), each
/// later one from the one before (ITL), the whole request at its end.
struct TokenClock {
    let metrics: ServerMetrics
    let arrived: ContinuousClock.Instant
    private var last: ContinuousClock.Instant?

    init(metrics: ServerMetrics, arrived: ContinuousClock.Instant) {
        self.metrics = metrics
        self.arrived = arrived
    }

    mutating func token() {
        let now = ContinuousClock.now
        if let last {
            metrics.recordITL((now - last).seconds)
        } else {
            metrics.recordTTFT((now - arrived).seconds)
        }
        last = now
    }

    func finished(_ usage: Usage) {
        metrics.recordEndToEnd((.now - arrived).seconds)
        metrics.tokens(prompt: usage.promptTokens, completion: usage.completionTokens, cached: usage.cachedTokens)
    }
}
