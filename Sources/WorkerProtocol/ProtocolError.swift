/// A violation of the wire protocol by the peer: a bad frame or a message that cannot be decoded.
///
/// None of these is fatal to the connection: the reader answers with an ``ErrorReply`` built
/// from it (``ErrorReply/init(_:id:)``) and keeps reading the next frame.
public struct ProtocolError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, stable and machine-readable.
    public enum Code: String, Sendable, Codable {
        /// The frame's length prefix is over the decoder's limit; its payload is skipped.
        case frameTooLarge = "frame_too_large"
        /// The frame's length prefix is zero.
        case emptyFrame = "empty_frame"
        /// The payload is not a JSON object, or a field is missing or of the wrong type.
        case malformed = "malformed"
        /// The payload's `type` names no message of this protocol version.
        case unknownType = "unknown_type"
        /// The peer's hello carries a protocol version this side does not speak.
        case versionMismatch = "version_mismatch"
    }

    /// What went wrong.
    public let code: Code
    /// What went wrong in words an operator can act on.
    public let message: String

    /// An error with the given code and message.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// A frame whose declared payload length `size` is over `limit`.
    public static func frameTooLarge(size: Int, limit: Int) -> ProtocolError {
        ProtocolError(
            code: .frameTooLarge,
            message: "frame of \(size) bytes is over the limit of \(limit) bytes; its payload is skipped")
    }

    /// A frame with a zero length prefix.
    public static let emptyFrame = ProtocolError(
        code: .emptyFrame, message: "frame of 0 bytes: every frame must carry one JSON message")

    /// A payload that is not a well-formed message; `detail` says where decoding failed.
    public static func malformed(_ detail: String) -> ProtocolError {
        ProtocolError(code: .malformed, message: detail)
    }

    /// A message whose `type` is `name`, which this side does not know.
    public static func unknownType(_ name: String, known: [String]) -> ProtocolError {
        ProtocolError(
            code: .unknownType,
            message: "unknown message type \"\(name)\"; expected one of \(known.joined(separator: ", "))")
    }

    /// A peer speaking protocol version `peer` where this side speaks `ours`.
    public static func versionMismatch(peer: Int, ours: Int = WireFormat.version) -> ProtocolError {
        ProtocolError(
            code: .versionMismatch,
            message: "peer speaks protocol version \(peer), this side speaks \(ours); "
                + "run a supervisor and worker from the same build")
    }
}
