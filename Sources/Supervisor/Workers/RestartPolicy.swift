/// When to start a worker again after it ended: exponential backoff from `initial` to `maximum`,
/// reset by a run of at least `stableAfter`, and `fatal` after `fatalAfter` failures in a row
/// (then retried every `fatalRetry`).
public struct RestartPolicy: Sendable, Equatable {
    public var initial: Duration
    public var maximum: Duration
    public var fatalAfter: Int
    public var fatalRetry: Duration
    public var stableAfter: Duration
    /// Failures since the last stable run.
    public private(set) var failures = 0

    public init(initial: Duration, maximum: Duration, fatalAfter: Int, fatalRetry: Duration, stableAfter: Duration) {
        self.initial = initial
        self.maximum = maximum
        self.fatalAfter = fatalAfter
        self.fatalRetry = fatalRetry
        self.stableAfter = stableAfter
    }

    public enum Decision: Sendable, Equatable {
        /// Start again after this delay.
        case backoff(Duration)
        /// Too many failures in a row: retry slowly after this delay.
        case fatal(Duration)
    }

    /// Records a failed run that lasted `ranFor` after becoming ready (nil: never ready) and
    /// says when to try again.
    public mutating func failed(readyFor ranFor: Duration?) -> Decision {
        if let ranFor, ranFor >= stableAfter { failures = 0 }
        failures += 1
        if failures >= fatalAfter { return .fatal(fatalRetry) }
        return .backoff(delay(after: failures))
    }

    /// Records a deliberate stop or a long clean run: the next failure starts from `initial`.
    public mutating func reset() { failures = 0 }

    /// `initial × 2^(n−1)`, capped at `maximum`.
    public func delay(after n: Int) -> Duration {
        var d = initial
        for _ in 1 ..< max(1, n) {
            d *= 2
            if d >= maximum { return maximum }
        }
        return min(d, maximum)
    }
}
