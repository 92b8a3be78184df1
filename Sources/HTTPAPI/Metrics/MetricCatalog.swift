/// Names, help texts and histogram buckets of the metric families `ServerMetrics` exports.
///
/// Every name carries the `vkserve_` prefix and its base unit (`_seconds`, `_bytes`); counters end in `_total`.
enum MetricCatalog {
    static let httpRequests = "vkserve_http_requests_total"
    static let timeToFirstToken = "vkserve_time_to_first_token_seconds"
    static let interTokenLatency = "vkserve_inter_token_latency_seconds"
    static let requestDuration = "vkserve_request_duration_seconds"
    static let queueDepth = "vkserve_queue_depth"
    static let queueWait = "vkserve_queue_wait_seconds"
    static let queueRejected = "vkserve_queue_rejected_total"
    static let tokensGenerated = "vkserve_tokens_generated_total"
    static let promptTokens = "vkserve_prompt_tokens_total"
    static let promptTokensCached = "vkserve_prompt_tokens_cached_total"
    static let requestRetries = "vkserve_request_retries_total"
    static let workers = "vkserve_workers"
    static let workerUp = "vkserve_worker_up"
    static let workerVRAMUsed = "vkserve_worker_vram_used_bytes"
    static let workerVRAMBudget = "vkserve_worker_vram_budget_bytes"
    static let workerRSS = "vkserve_worker_rss_bytes"
    static let workerInFlight = "vkserve_worker_in_flight"
    static let workerExits = "vkserve_worker_exits_total"
    static let workerTransitions = "vkserve_worker_transitions_total"
    static let degraded = "vkserve_degraded"
    static let streamErrors = "vkserve_stream_errors_total"
    static let queueLimit = "vkserve_queue_limit"
    static let slotsPerWorker = "vkserve_slots_per_worker"
    static let buildInfo = "vkserve_build_info"

    /// `# HELP` texts, by family name. swift-metrics handlers carry no help text, so `render()` adds these.
    static let help: [String: String] = [
        httpRequests: "HTTP requests answered, by endpoint and status code.",
        timeToFirstToken: "Time from receiving a generation request to its first token.",
        interTokenLatency: "Time between consecutive generated tokens of one request.",
        requestDuration: "End-to-end duration of generation requests.",
        queueDepth: "Requests waiting for a worker.",
        queueWait: "Time requests waited in the queue for a worker.",
        queueRejected: "Requests rejected because the queue was full.",
        tokensGenerated: "Completion tokens generated.",
        promptTokens: "Prompt tokens processed.",
        promptTokensCached: "Prompt tokens whose KV a worker reused from an earlier request instead of computing them (part of vkserve_prompt_tokens_total).",
        requestRetries: "Requests retried on another worker after a worker failed.",
        workers: "Supervised workers in each state.",
        workerUp: "Whether the worker is running (ready or busy): 1, or not: 0.",
        workerVRAMUsed: "Device memory the worker uses.",
        workerVRAMBudget: "Device memory budget of the worker.",
        workerRSS: "Resident memory of the worker process.",
        workerInFlight: "Requests in flight on the worker.",
        workerExits: "Worker process exits, by reason.",
        workerTransitions: "Worker transitions into each state.",
        degraded: "Whether the pool is degraded (1) or not (0).",
        streamErrors: "Streamed requests that ended with an error event after their answer had begun (counted as 200), by code.",
        queueLimit: "Requests that may wait in the queue ([limits] queue); one more is answered 429.",
        slotsPerWorker: "Concurrent sequences each worker serves ([model] slots).",
        buildInfo: "Always 1; the version label says which vkserved is running.",
    ]

    /// Time to first token: 5 ms to 60 s (prefill of long prompts on slow devices).
    static let timeToFirstTokenBuckets: [Double] = [
        0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 0.75, 1, 1.5, 2.5, 5, 7.5, 10, 15, 30, 60,
    ]
    /// Inter-token latency: 1 ms to 2 s, fine between 10 and 100 ms where decoding usually lands.
    static let interTokenLatencyBuckets: [Double] = [
        0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.06, 0.075, 0.1,
        0.15, 0.2, 0.3, 0.5, 0.75, 1, 2,
    ]
    /// End-to-end request duration: 50 ms to 10 min.
    static let requestDurationBuckets: [Double] = [
        0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600,
    ]
    /// Queue wait: 1 ms to 2 min.
    static let queueWaitBuckets: [Double] = [
        0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120,
    ]

    /// `Duration` bucket boundaries for the swift-metrics `Timer` handlers, from seconds.
    static func durations(_ seconds: [Double]) -> [Duration] {
        seconds.map { .nanoseconds(Int64(($0 * 1e9).rounded())) }
    }
}
