/// The run itself failed (server unreachable, output not writable, nothing succeeded): `vkserve bench` exits 2.
public struct BenchFailure: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// What `vkserve bench load|soak` exit with.
public enum BenchVerdict: Int32, Sendable, Codable {
    /// Every check passed (or there were none).
    case pass = 0
    /// The run completed but a check (SLO, soak judgement) failed.
    case failed = 1
    /// The run itself could not be completed.
    case runFailed = 2
}
