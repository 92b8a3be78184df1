import ControlProtocol
import Foundation
@testable import Supervisor
import WorkerProtocol

/// A worker incarnation the test drives: it becomes ready, crashes or fails on the device when told to, and obeys
/// the pool's drain, stop and kill at once. Every command the pool gives it is recorded.
final class ScriptedWorker: SupervisedWorker, @unchecked Sendable {
    let spec: WorkerSpec
    var name: String { spec.name }
    var incarnation: UInt64 { spec.incarnation }
    var launch: WorkerLaunch { spec.launch }

    private let lock = NSLock()
    private var state = SupervisedState.stopped
    private var heartbeat: Heartbeat?
    private var readyAt: ContinuousClock.Instant?
    private var outcome: InstanceOutcome?
    private var ending: CheckedContinuation<InstanceOutcome, Never>?
    private var commands: [String] = []

    init(_ spec: WorkerSpec) { self.spec = spec }

    /// What the pool asked of it, in order: `drain`, `stop`, `kill REASON`.
    var asked: [String] { lock.withLock { commands } }
    var ended: Bool { lock.withLock { outcome != nil } }

    // MARK: the test's side

    /// Loads, then serves; `rss` (bytes) is what its heartbeat reports, for the pool's make-before-break choice.
    func ready(rss: Int? = nil) {
        set(.loading)
        lock.withLock {
            readyAt = .now
            if let rss {
                heartbeat = Heartbeat(sequence: 1, state: .ready, inFlight: 0, queued: 0, steps: 0, tokens: 0,
                                      requestsDone: 0, memory: MemoryFigures(rss: rss), uptimeS: 1)
            }
        }
        set(.ready)
    }

    /// Has requests in flight (as its heartbeats would say), or none again.
    func busy() { set(.busy) }
    func idle() { set(.ready) }

    /// Ends the way a worker process does: crash, device failure, or a stop it was asked for.
    func exit(_ reason: ExitReason, message: String? = nil) {
        set(.exited)
        let readyFor = lock.withLock { readyAt.map { ContinuousClock.now - $0 } }
        finish(InstanceOutcome(reason: reason, status: nil, readyFor: readyFor, faultMessage: message))
    }

    // MARK: the pool's side

    var snapshot: WorkerSnapshot {
        lock.withLock {
            WorkerSnapshot(incarnation: spec.incarnation, state: state, pid: Int32(1000 + spec.incarnation),
                           device: nil, spawnedAt: nil, readyAt: readyAt, lastHeartbeat: heartbeat,
                           lastHeartbeatAt: nil, pending: 0)
        }
    }

    var pending: Int { 0 }

    func run() async -> InstanceOutcome {
        // The test may have scripted it ahead of the pool's task: only a worker not yet under way starts.
        if lock.withLock({ state == .stopped }) { set(.starting) }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { c in
                let done: InstanceOutcome? = lock.withLock {
                    if let outcome { return outcome }
                    ending = c
                    return nil
                }
                if let done { c.resume(returning: done) }
            }
        } onCancel: {
            finish(InstanceOutcome(reason: .stopped, status: nil, readyFor: nil, faultMessage: nil))
        }
    }

    func drain() {
        lock.withLock { commands.append("drain") }
        set(.draining)
    }

    func stop(grace: Duration) {
        lock.withLock { commands.append("stop") }
        set(.stopping)
        exit(.stopped)
    }

    func kill(_ reason: ExitReason) {
        lock.withLock { commands.append("kill \(reason.rawValue)") }
        exit(reason)
    }

    func generate(_ request: GenerateRequest) -> AsyncStream<RequestEvent> {
        AsyncStream { $0.finish() }
    }

    func abandon(_ id: String, with event: RequestEvent) -> Bool { false }

    private func set(_ new: SupervisedState) {
        let old: SupervisedState? = lock.withLock {
            guard state != new, outcome == nil else { return nil }
            defer { state = new }
            return state
        }
        if let old { spec.onStateChange(old, new) }
    }

    private func finish(_ o: InstanceOutcome) {
        let c: CheckedContinuation<InstanceOutcome, Never>? = lock.withLock {
            guard outcome == nil else { return nil }
            outcome = o
            defer { ending = nil }
            return ending
        }
        c?.resume(returning: o)
    }
}

/// The pool's factory in a test: makes ``ScriptedWorker``s and keeps them, by slot, in order of creation.
final class ScriptedWorkers: @unchecked Sendable {
    private let lock = NSLock()
    private var made: [ScriptedWorker] = []

    var factory: WorkerFactory {
        { [self] spec in
            let w = ScriptedWorker(spec)
            lock.withLock { made.append(w) }
            return w
        }
    }

    /// Incarnations of slot `name`, oldest first.
    func of(_ name: String) -> [ScriptedWorker] { lock.withLock { made.filter { $0.name == name } } }
}
