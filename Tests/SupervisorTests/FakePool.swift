import ControlProtocol
import Foundation
import Supervisor

/// A pool the test arranges: which workers serve, and every row's state. Changing it signals the router, as the
/// real pool does on a state change.
final class FakePool: WorkerSource, @unchecked Sendable {
    private let lock = NSLock()
    private var rows: [PoolStatus.Row] = []
    private var serving: [FakeWorker] = []
    private var observers: [@Sendable () -> Void] = []

    /// A pool whose workers all serve.
    init(_ workers: [FakeWorker]) {
        set(workers.map { ($0, SupervisedState.ready) })
    }

    var status: PoolStatus {
        let rows = lock.withLock { self.rows }
        let ready = rows.filter { $0.state.isRunning }.count
        return PoolStatus(rows: rows, summary: "\(ready)/\(rows.count) workers ready")
    }

    var servingLinks: [any WorkerLink] {
        lock.withLock { serving }.sorted { $0.pending < $1.pending }
    }

    func onChange(_ body: @escaping @Sendable () -> Void) { lock.withLock { observers.append(body) } }

    /// Sets each worker's state (those running take requests), with `retryIn` for rows backing off; then signals
    /// the router unless `signal` is false (from inside a dispatch, which holds the router's lock).
    func set(_ states: [(FakeWorker, SupervisedState)], retryIn: Double? = nil, signal: Bool = true) {
        let observers = lock.withLock {
            rows = states.map { worker, state in
                PoolStatus.Row(name: worker.name, state: state, backend: "cpu",
                               retryInS: state == .backoff || state == .fatal ? retryIn : nil)
            }
            serving = states.filter { $0.1.isRunning }.map(\.0)
            return self.observers
        }
        if signal { for o in observers { o() } }
    }
}
