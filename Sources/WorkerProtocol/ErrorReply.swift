/// A refused or failed request, or a frame the worker could not read.
///
/// It is an `Error` so that request validation can return `Result<_, ErrorReply>` or throw it.
public struct ErrorReply: Error, CustomStringConvertible, Sendable, Equatable, Codable {
    /// Stable, machine-readable error codes.
    public enum Code: String, Codable, Sendable, CaseIterable {
        /// The frame is empty or its payload is not a well-formed message.
        case badFrame = "bad_frame"
        /// The frame is over the size limit; its payload was skipped.
        case frameTooLarge = "frame_too_large"
        /// The message's `type` is unknown.
        case unknownType = "unknown_type"
        /// The hello's protocol version is not spoken here.
        case versionMismatch = "version_mismatch"
        /// The request is well formed but its values are not acceptable (negative `max_tokens`, …).
        case badRequest = "bad_request"
        /// The prompt does not fit in the context.
        case promptTooLong = "prompt_too_long"
        /// Every slot is busy and the worker's queue is full.
        case overloaded
        /// The worker is draining and takes no new requests.
        case draining
        /// The worker is still loading.
        case notReady = "not_ready"
        /// A request with this id is already in flight.
        case duplicateId = "duplicate_id"
        /// No request with this id is in flight.
        case unknownId = "unknown_id"
        /// The device failed while serving the request.
        case device
        /// A bug in the worker.
        case `internal`
    }

    /// The request this is about; `nil` when it is about the connection or a frame.
    public var id: String?
    /// What went wrong.
    public var code: Code
    /// What went wrong in words.
    public var message: String

    public var description: String {
        "\(code.rawValue)" + (id.map { " (request \($0))" } ?? "") + ": \(message)"
    }

    /// An error about request `id`, or about the connection when `id` is `nil`.
    public init(id: String?, code: Code, message: String) {
        self.id = id
        self.code = code
        self.message = message
    }

    /// The reply to a frame that could not be read or decoded.
    public init(_ error: ProtocolError, id: String? = nil) {
        let code: Code =
            switch error.code {
            case .frameTooLarge: .frameTooLarge
            case .emptyFrame, .malformed: .badFrame
            case .unknownType: .unknownType
            case .versionMismatch: .versionMismatch
            }
        self.init(id: id, code: code, message: error.message)
    }

    enum CodingKeys: String, CodingKey {
        case id
        case code
        case message
    }
}
