import Foundation
import WorkerProtocol

/// The figures heartbeats carry, written by the compute thread and read by the heartbeat timer.
/// Kept apart from the engine so a hung compute thread cannot stop heartbeats.
final class WorkerStatus: @unchecked Sendable {
    struct Snapshot {
        var state = WorkerState.loading
        var inFlight = 0
        var queued = 0
        var steps: UInt64 = 0
        var tokens: UInt64 = 0
        var promptTokens: UInt64 = 0
        var requestsDone: UInt64 = 0
        var memory = MemoryFigures(vramUsed: nil, vramBudget: nil, rss: nil, kvReserved: nil)
        var deviceBusyFraction: Double?
        /// Seconds the compute thread spent in forward steps.
        var busySeconds = 0.0
        var profile: StepTimes?
    }

    private let lock = NSLock()
    private var snapshot = Snapshot()
    private var sequence: UInt64 = 0
    let started = Date()

    func update(_ body: (inout Snapshot) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        body(&snapshot)
    }

    var current: Snapshot {
        lock.lock()
        defer { lock.unlock() }
        return snapshot
    }

    func heartbeat() -> Heartbeat {
        lock.lock()
        defer { lock.unlock() }
        sequence += 1
        let s = snapshot
        return Heartbeat(sequence: sequence, state: s.state, inFlight: s.inFlight, queued: s.queued, steps: s.steps,
                         tokens: s.tokens, requestsDone: s.requestsDone, memory: s.memory,
                         uptimeS: Date().timeIntervalSince(started))
    }

    func stats(slots: Int, context: Int) -> Stats {
        let beat = heartbeat()
        let s = current
        let uptime = Date().timeIntervalSince(started)
        return Stats(heartbeat: beat, promptTokens: s.promptTokens,
                     busyFraction: uptime > 0 ? min(1, s.busySeconds / uptime) : nil,
                     deviceBusyFraction: s.deviceBusyFraction, slots: slots, context: context, profile: s.profile)
    }
}
