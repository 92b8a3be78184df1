import ControlProtocol
import Metrics
import Supervisor

/// The per-worker gauges of one worker listed in the pool status.
///
/// A memory gauge exists only while the row reports that value: a CPU worker has no
/// `vkserve_worker_vram_*` series rather than a misleading 0.
struct WorkerSeries {
    let name: String
    let backend: String
    private let up: Metrics.Gauge
    private let inFlight: Metrics.Gauge
    private var vramUsed: Metrics.Gauge?
    private var vramBudget: Metrics.Gauge?
    private var rss: Metrics.Gauge?

    /// Creates the series of `row`'s worker and sets them from it.
    init(row: PoolStatus.Row, factory: any MetricsFactory) {
        name = row.name
        backend = row.backend
        up = Metrics.Gauge(
            label: MetricCatalog.workerUp, dimensions: [("worker", row.name), ("backend", row.backend)],
            factory: factory)
        inFlight = Metrics.Gauge(
            label: MetricCatalog.workerInFlight, dimensions: [("worker", row.name)], factory: factory)
        update(from: row, factory: factory)
    }

    /// Sets the gauges from `row` (same worker, same backend).
    mutating func update(from row: PoolStatus.Row, factory: any MetricsFactory) {
        up.record(row.state.isRunning ? 1 : 0)
        inFlight.record(row.inFlight)
        Self.set(&vramUsed, MetricCatalog.workerVRAMUsed, row.vramUsed, worker: name, factory: factory)
        Self.set(&vramBudget, MetricCatalog.workerVRAMBudget, row.vramBudget, worker: name, factory: factory)
        Self.set(&rss, MetricCatalog.workerRSS, row.rss, worker: name, factory: factory)
    }

    /// Removes every series of this worker from the registry.
    func destroy() {
        up.destroy()
        inFlight.destroy()
        vramUsed?.destroy()
        vramBudget?.destroy()
        rss?.destroy()
    }

    /// Sets an optional gauge: creates it on the first value, removes it when the value goes away.
    private static func set(
        _ gauge: inout Metrics.Gauge?, _ label: String, _ value: Int?, worker: String, factory: any MetricsFactory
    ) {
        guard let value else {
            gauge?.destroy()
            gauge = nil
            return
        }
        if gauge == nil {
            gauge = Metrics.Gauge(label: label, dimensions: [("worker", worker)], factory: factory)
        }
        gauge?.record(value)
    }
}
