/// What the soak's tasks share: the protocol's current activity and the restarts, in progress and done.
final class SoakState: Sendable {
    private struct Value {
        var activity = "burst"
        var restartStarts: [Int: Double] = [:]
        var finished: [RestartRecord] = []
        var unsampled: [RestartRecord] = []
        var bursts = 0
        var lateBursts = 0
    }

    private let value = Locked(Value())

    var activity: String {
        get { value.withLock { $0.activity } }
        set { value.withLock { $0.activity = newValue } }
    }

    func burstStarted(late: Bool) {
        value.withLock {
            $0.bursts += 1
            if late { $0.lateBursts += 1 }
        }
    }

    var burstCounts: (bursts: Int, late: Int) { value.withLock { ($0.bursts, $0.lateBursts) } }

    func restartBegan(_ number: Int, at t: Double) {
        value.withLock { $0.restartStarts[number] = t }
    }

    func restartEnded(_ record: RestartRecord) {
        value.withLock {
            $0.restartStarts[record.number] = nil
            $0.finished.append(record)
            $0.unsampled.append(record)
        }
    }

    /// Whether a restart, finished or still going, overlapped `start...end`.
    func restartOverlaps(_ start: Double, _ end: Double) -> Bool {
        value.withLock { v in
            v.restartStarts.values.contains { $0 <= end }
                || v.finished.contains { $0.startS <= end && $0.endS >= start }
        }
    }

    /// Restarts finished since the last call.
    func takeUnsampled() -> [RestartRecord] {
        value.withLock { v in
            defer { v.unsampled = [] }
            return v.unsampled
        }
    }

    var restarts: [RestartRecord] { value.withLock { $0.finished } }
}
