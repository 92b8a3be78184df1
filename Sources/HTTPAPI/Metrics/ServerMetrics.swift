import ControlProtocol
import Metrics
import Prometheus
import Supervisor
import Synchronization

/// The metrics `vkserved` exports on `/metrics`, in Prometheus text format.
///
/// Owns a `PrometheusCollectorRegistry`; every instrument is a swift-metrics handler made by a
/// `PrometheusMetricsFactory` over that registry, passed explicitly, so any number of instances can
/// live in one process (tests). `bootstrapGlobal(_:)` additionally routes the global `MetricsSystem`
/// (libraries using swift-metrics) into the same registry.
///
/// Thread-safe: every method may be called from any task. The per-token path (`recordITL(_:)`)
/// takes one short histogram lock and allocates nothing.
///
/// Families (all prefixed `vkserve_`, base units in names):
/// - `http_requests_total{endpoint,status}` — `request(endpoint:status:)`. `endpoint` should be a
///   route (`/v1/chat/completions`), never a raw path, to bound the number of series.
/// - `time_to_first_token_seconds`, `inter_token_latency_seconds`, `request_duration_seconds`,
///   `queue_wait_seconds` histograms; `queue_depth` gauge; `queue_rejected_total`,
///   `tokens_generated_total`, `prompt_tokens_total`, `request_retries_total` counters.
/// - From pool snapshots (`update(from:)`): `workers{state}`, `worker_up{worker,backend}`,
///   `worker_vram_used_bytes{worker}`, `worker_vram_budget_bytes{worker}`, `worker_rss_bytes{worker}`,
///   `worker_in_flight{worker}`, `degraded` gauges; `worker_exits_total{reason}` and
///   `worker_transitions_total{state}` counters.
/// - `stream_errors_total{code}`; `queue_limit`, `slots_per_worker` and `build_info{version}` from
///   `describe(queueLimit:slotsPerWorker:version:)`.
///
/// A worker that leaves the status (a retired CPU fallback) has all its per-worker series removed,
/// not set to 0: Prometheus then marks them stale, as it does for a vanished target, and alerts on
/// `vkserve_worker_up == 0` fire only for workers that still exist but are not running. A listed
/// worker that reports no VRAM or RSS figure has no series for it.
public final class ServerMetrics: Sendable {
    /// The registry every instrument of this instance is registered in.
    public let registry: PrometheusCollectorRegistry
    /// The factory over `registry`, with this server's histogram buckets.
    let factory: PrometheusMetricsFactory

    private let timeToFirstToken: Metrics.Timer
    private let interTokenLatency: Metrics.Timer
    private let requestDuration: Metrics.Timer
    private let queueWait: Metrics.Timer
    private let queueDepth: Metrics.Gauge
    private let queueRejections: Metrics.Counter
    private let completionTokens: Metrics.Counter
    private let promptTokens: Metrics.Counter
    private let promptTokensCached: Metrics.Counter
    private let retries: Metrics.Counter
    /// `vkserve_stream_errors_total` handlers by code.
    private let streamErrors = Mutex([String: Metrics.Counter]())
    /// `vkserve_http_requests_total` handlers by endpoint, then status.
    private let requests = Mutex([String: [Int: Metrics.Counter]]())
    private let pool: Mutex<PoolSeries>

    /// Creates the registry and every fixed series (at 0).
    public init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = [
            MetricCatalog.timeToFirstToken: MetricCatalog.durations(MetricCatalog.timeToFirstTokenBuckets),
            MetricCatalog.interTokenLatency: MetricCatalog.durations(MetricCatalog.interTokenLatencyBuckets),
            MetricCatalog.requestDuration: MetricCatalog.durations(MetricCatalog.requestDurationBuckets),
            MetricCatalog.queueWait: MetricCatalog.durations(MetricCatalog.queueWaitBuckets),
        ]
        self.registry = registry
        self.factory = factory
        timeToFirstToken = Metrics.Timer(label: MetricCatalog.timeToFirstToken, factory: factory)
        interTokenLatency = Metrics.Timer(label: MetricCatalog.interTokenLatency, factory: factory)
        requestDuration = Metrics.Timer(label: MetricCatalog.requestDuration, factory: factory)
        queueWait = Metrics.Timer(label: MetricCatalog.queueWait, factory: factory)
        queueDepth = Metrics.Gauge(label: MetricCatalog.queueDepth, factory: factory)
        queueDepth.record(0)
        queueRejections = Metrics.Counter(label: MetricCatalog.queueRejected, factory: factory)
        completionTokens = Metrics.Counter(label: MetricCatalog.tokensGenerated, factory: factory)
        promptTokens = Metrics.Counter(label: MetricCatalog.promptTokens, factory: factory)
        promptTokensCached = Metrics.Counter(label: MetricCatalog.promptTokensCached, factory: factory)
        retries = Metrics.Counter(label: MetricCatalog.requestRetries, factory: factory)
        pool = Mutex(PoolSeries(factory: factory))
    }

    /// Makes `metrics`' registry the backend of the global `MetricsSystem`, so that swift-metrics
    /// instruments created by libraries land in the same `/metrics` output.
    /// Call once per process (vkserved's main): `MetricsSystem.bootstrap` traps on a second call.
    public static func bootstrapGlobal(_ metrics: ServerMetrics) {
        MetricsSystem.bootstrap(metrics.factory)
    }

    // MARK: Requests

    /// Counts one answered HTTP request.
    public func request(endpoint: String, status: Int) {
        requestCounter(endpoint: endpoint, status: status).increment()
    }

    /// The `vkserve_http_requests_total` series of `endpoint` and `status`, made (at 0) on first use.
    private func requestCounter(endpoint: String, status: Int) -> Metrics.Counter {
        requests.withLock { byEndpoint in
            if let counter = byEndpoint[endpoint]?[status] { return counter }
            let counter = Metrics.Counter(
                label: MetricCatalog.httpRequests, dimensions: [("endpoint", endpoint), ("status", String(status))],
                factory: factory)
            byEndpoint[endpoint, default: [:]][status] = counter
            return counter
        }
    }

    /// Records the time from receiving a generation request to its first token.
    public func recordTTFT(_ seconds: Double) {
        Self.record(seconds, in: timeToFirstToken)
    }

    /// Records the time between two consecutive tokens of one request.
    public func recordITL(_ seconds: Double) {
        Self.record(seconds, in: interTokenLatency)
    }

    /// Records the end-to-end duration of a generation request.
    public func recordEndToEnd(_ seconds: Double) {
        Self.record(seconds, in: requestDuration)
    }

    /// Counts the tokens of a finished request.
    public func tokens(prompt: Int, completion: Int, cached: Int = 0) {
        if prompt > 0 { promptTokens.increment(by: prompt) }
        if cached > 0 { promptTokensCached.increment(by: cached) }
        if completion > 0 { completionTokens.increment(by: completion) }
    }

    /// Counts a streamed request that ended with an error event after its 200 had gone out.
    public func streamFailed(code: String) {
        streamErrorCounter(code: code).increment()
    }

    /// The `vkserve_stream_errors_total` series of `code`, made (at 0) on first use.
    private func streamErrorCounter(code: String) -> Metrics.Counter {
        streamErrors.withLock { byCode in
            if let counter = byCode[code] { return counter }
            let counter = Metrics.Counter(label: MetricCatalog.streamErrors, dimensions: [("code", code)], factory: factory)
            byCode[code] = counter
            return counter
        }
    }

    /// The configuration figures alerts compare against (queue depth vs its limit, in-flight vs slots), and
    /// the running version.
    public func describe(queueLimit: Int, slotsPerWorker: Int, version: String) {
        Metrics.Gauge(label: MetricCatalog.queueLimit, factory: factory).record(queueLimit)
        Metrics.Gauge(label: MetricCatalog.slotsPerWorker, factory: factory).record(slotsPerWorker)
        Metrics.Gauge(label: MetricCatalog.buildInfo, dimensions: [("version", version)], factory: factory).record(1)
        // The failure series alerts take rate() of exist from the start at 0: a counter born at 1 hides its
        // first event from rate().
        for code in ["worker_failed", "deadline_exceeded"] { _ = streamErrorCounter(code: code) }
        for endpoint in ["/v1/completions", "/v1/chat/completions"] {
            for status in [500, 503, 504] { _ = requestCounter(endpoint: endpoint, status: status) }
        }
    }

    /// Counts a request retried on another worker.
    public func retried() {
        retries.increment()
    }

    // MARK: Queue

    /// Sets the number of requests waiting for a worker.
    public func setQueueDepth(_ depth: Int) {
        queueDepth.record(depth)
    }

    /// Records how long a request waited in the queue.
    public func recordQueueWait(_ seconds: Double) {
        Self.record(seconds, in: queueWait)
    }

    /// Counts a request rejected because the queue was full.
    public func queueRejected() {
        queueRejections.increment()
    }

    // MARK: Pool

    /// Brings the pool series up to a snapshot. The exit and transition counters grow by how much the
    /// snapshot's running totals grew since the previous call (the first call counts them in full).
    public func update(from status: PoolStatus) {
        pool.withLock { $0.apply(status, factory: factory) }
    }

    // MARK: Exposition

    /// The registry in Prometheus text exposition format (version 0.0.4), with a `# HELP` line for
    /// each of this server's families.
    public func render() -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32 * 1024)
        registry.emit(into: &bytes)
        var out = ""
        out.reserveCapacity(bytes.count + 4 * 1024)
        var previous: Substring = ""
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            if line.hasPrefix("# TYPE "), !previous.hasPrefix("# HELP ") {
                let name = line.dropFirst("# TYPE ".count).prefix { $0 != " " }
                if let help = MetricCatalog.help[String(name)] {
                    out += "# HELP \(name) \(help)\n"
                }
            }
            out += line
            out += "\n"
            previous = line
        }
        return out
    }

    /// Records a duration in seconds into a timer; ignores NaN and infinities, clamps below at 0.
    private static func record(_ seconds: Double, in timer: Metrics.Timer) {
        guard seconds.isFinite else { return }
        timer.recordNanoseconds(Int64((min(max(seconds, 0), 1e9) * 1e9).rounded()))
    }
}
