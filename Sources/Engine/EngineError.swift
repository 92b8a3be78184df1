/// Why the engine could not load a model or run a step, phrased for the operator.
public struct EngineError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable, Equatable {
        /// The model file is unreadable or is not a model this engine can run.
        case unsupportedModel
        /// A request the engine cannot honour (a prompt longer than the context, a bad slot).
        case invalidRequest
        /// Memory for weights, KV cache or activations could not be had (host or device).
        case outOfMemory
        /// No usable compute device (no driver, no loader, no device with what the engine needs).
        case noDevice
        /// The device was lost mid-run; the backend is unusable from then on.
        case deviceLost
        /// The compute backend failed.
        case backend
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
