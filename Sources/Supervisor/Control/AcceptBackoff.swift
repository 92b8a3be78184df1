/// How an accept loop (the control socket's; the HTTP listener's log) rides out failures such as EMFILE (out of
/// descriptors): it waits and tries again, 10 ms doubling to 1 s, and logs the first failure of a streak and then at most one line per
/// `logEvery` (with the count of failures not logged), so a long shortage neither ends the service nor floods
/// the journal. A success resets the delay.
public struct AcceptBackoff: Sendable {
    static let initialDelay = Duration.milliseconds(10)
    static let maximumDelay = Duration.seconds(1)
    static let logEvery = Duration.seconds(10)

    /// What to do after one failed accept.
    public struct Step: Equatable, Sendable {
        /// How long to wait before the next accept.
        public let delay: Duration
        /// Whether to log this failure.
        public let log: Bool
        /// Failures since the last logged one that were not logged.
        public let unlogged: Int
    }

    public init() {}

    private var delay: Duration?
    private var lastLogged: ContinuousClock.Instant?
    private var unlogged = 0

    /// Records a failure at `now` and says how long to wait and whether to log it.
    public mutating func failed(at now: ContinuousClock.Instant) -> Step {
        let next = delay.map { min($0 * 2, Self.maximumDelay) } ?? Self.initialDelay
        delay = next
        if let lastLogged, now - lastLogged < Self.logEvery {
            unlogged += 1
            return Step(delay: next, log: false, unlogged: unlogged)
        }
        let step = Step(delay: next, log: true, unlogged: unlogged)
        lastLogged = now
        unlogged = 0
        return step
    }

    /// A connection was accepted: the next failure waits the initial delay again. The log limit stays, so
    /// failures that alternate with successes are not each logged.
    public mutating func succeeded() {
        delay = nil
    }
}
