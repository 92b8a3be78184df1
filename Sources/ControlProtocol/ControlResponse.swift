/// The answer: `ok` with what was asked for, or `error` with a message for the operator.
public struct ControlResponse: Sendable, Codable, Equatable {
    public var ok: Bool
    public var error: String?
    public var message: String?
    public var status: PoolStatus?
    /// For `health`: milliseconds since the supervisor's event loop last turned.
    public var loopLagMs: Double?
    /// For `generate`.
    public var text: String?
    public var worker: String?
    public var tokens: Int?
    public var elapsedMs: Double?

    public init(ok: Bool, error: String? = nil, message: String? = nil, status: PoolStatus? = nil) {
        self.ok = ok
        self.error = error
        self.message = message
        self.status = status
    }

    public static func failure(_ message: String) -> ControlResponse { ControlResponse(ok: false, error: message) }
}
