/// A supervised worker's state as the supervisor sees it (DESIGN.md, "The supervisor"):
/// `stopped → starting → loading → ready ⇄ busy → draining → stopping → exited`, plus `backoff`
/// (waiting to restart) and `fatal` (failed too often in a row; retried slowly).
public enum SupervisedState: String, Sendable, Codable, CaseIterable {
    case stopped, starting, loading, ready, busy, draining, stopping, exited, backoff, fatal

    /// Serving or able to serve requests.
    public var isRunning: Bool { self == .ready || self == .busy }
}
