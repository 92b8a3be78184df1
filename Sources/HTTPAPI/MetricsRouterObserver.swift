import Supervisor

/// The router's figures, into the server's metrics.
struct MetricsRouterObserver: RouterObserver {
    let metrics: ServerMetrics

    func queueDepth(_ depth: Int) { metrics.setQueueDepth(depth) }
    func queueWait(seconds: Double) { metrics.recordQueueWait(seconds) }
    func queueRejected() { metrics.queueRejected() }
    func retried() { metrics.retried() }
}
