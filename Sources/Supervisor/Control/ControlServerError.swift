/// The control socket could not be set up.
public struct ControlServerError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, for callers that react to one case.
    public enum Code: Sendable, Equatable {
        /// `control_group` names no group.
        case noSuchGroup
        /// Another process (another vkserved) answers on the control socket's path.
        case alreadyRunning
        /// Something that is not a stale socket of ours is in the way at the path.
        case pathInUse
        /// The socket's directory is unsafe or cannot be made.
        case unsafeDirectory
        /// socket, bind, chown or listen failed.
        case socket
    }

    public let code: Code
    /// What is wrong and what to do about it.
    public let description: String

    init(_ code: Code = .socket, description: String) {
        self.code = code
        self.description = description
    }
}
