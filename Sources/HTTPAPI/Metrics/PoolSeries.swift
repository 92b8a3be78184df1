import ControlProtocol
import Metrics
import Supervisor

/// The series `ServerMetrics.update(from:)` derives from pool snapshots, and what it remembers
/// of the previous snapshot to turn the pool's running totals into counter increments.
struct PoolSeries {
    private var byState: [SupervisedState: Metrics.Gauge] = [:]
    private let degraded: Metrics.Gauge
    private var exits: [String: Metrics.Counter] = [:]
    private var transitions: [String: Metrics.Counter] = [:]
    private var lastExits: [String: Int] = [:]
    private var lastTransitions: [String: Int] = [:]
    private var workers: [String: WorkerSeries] = [:]

    /// Creates the pool-wide series at 0: one `vkserve_workers` series per state, and the exit and
    /// transition counters of every known reason and state, so that `rate()` sees their first increase.
    init(factory: any MetricsFactory) {
        for state in SupervisedState.allCases {
            let gauge = Metrics.Gauge(
                label: MetricCatalog.workers, dimensions: [("state", state.rawValue)], factory: factory)
            gauge.record(0)
            byState[state] = gauge
        }
        degraded = Metrics.Gauge(label: MetricCatalog.degraded, factory: factory)
        degraded.record(0)
        for reason in ExitReason.allCases {
            exits[reason.rawValue] = Self.counter(MetricCatalog.workerExits, "reason", reason.rawValue, factory)
        }
        for state in SupervisedState.allCases {
            transitions[state.rawValue] = Self.counter(
                MetricCatalog.workerTransitions, "state", state.rawValue, factory)
        }
    }

    /// Brings every series up to `status`.
    mutating func apply(_ status: PoolStatus, factory: any MetricsFactory) {
        var counts: [SupervisedState: Int] = [:]
        for row in status.rows { counts[row.state, default: 0] += 1 }
        for (state, gauge) in byState { gauge.record(counts[state] ?? 0) }
        degraded.record(status.degraded ? 1 : 0)

        Self.advance(&exits, from: lastExits, to: status.exits, MetricCatalog.workerExits, "reason", factory)
        Self.advance(
            &transitions, from: lastTransitions, to: status.transitions, MetricCatalog.workerTransitions, "state",
            factory)
        lastExits = status.exits
        lastTransitions = status.transitions

        var listed = Set<String>()
        for row in status.rows {
            listed.insert(row.name)
            if var series = workers[row.name], series.backend == row.backend {
                series.update(from: row, factory: factory)
                workers[row.name] = series
            } else {
                workers[row.name]?.destroy()
                workers[row.name] = WorkerSeries(row: row, factory: factory)
            }
        }
        for (name, series) in workers where !listed.contains(name) {
            series.destroy()
            workers[name] = nil
        }
    }

    /// Increments each counter by how much its running total grew since the previous snapshot.
    /// A total below the previous one means the source started counting again: all of it is new.
    private static func advance(
        _ counters: inout [String: Metrics.Counter], from last: [String: Int], to now: [String: Int],
        _ label: String, _ dimension: String, _ factory: any MetricsFactory
    ) {
        for (key, total) in now {
            let previous = last[key] ?? 0
            let delta = total >= previous ? total - previous : total
            guard delta > 0 else { continue }
            let counter = counters[key] ?? counter(label, dimension, key, factory)
            counters[key] = counter
            counter.increment(by: delta)
        }
    }

    private static func counter(
        _ label: String, _ dimension: String, _ value: String, _ factory: any MetricsFactory
    ) -> Metrics.Counter {
        Metrics.Counter(label: label, dimensions: [(dimension, value)], factory: factory)
    }
}
