import WorkerProtocol

/// Tells a hung worker from a busy one: progress counters (steps, tokens, requests done) must
/// advance within `timeout` while the worker has work in flight or queued. Idle time is never
/// a stall.
public struct StallDetector: Sendable {
    public let timeout: Duration
    private var lastProgress: (steps: UInt64, tokens: UInt64, done: UInt64)?
    /// Since when the counters have stood still with work pending; nil while progressing or idle.
    private var stillSince: ContinuousClock.Instant?

    public init(timeout: Duration) { self.timeout = timeout }

    /// Takes a heartbeat received at `now`.
    public mutating func observe(_ beat: Heartbeat, at now: ContinuousClock.Instant) {
        let counters = (beat.steps, beat.tokens, beat.requestsDone)
        let moved = lastProgress.map { $0 != counters } ?? true
        lastProgress = counters
        let hasWork = beat.inFlight > 0 || beat.queued > 0
        if !hasWork || moved {
            stillSince = hasWork ? now : nil
        } else if stillSince == nil {
            stillSince = now
        }
    }

    /// How long the worker has been stalled at `now`, when that is `timeout` or more.
    public func stalled(at now: ContinuousClock.Instant) -> Duration? {
        guard let stillSince else { return nil }
        let still = now - stillSince
        return still >= timeout ? still : nil
    }
}
