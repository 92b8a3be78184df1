/// A directory for sockets that is missing and cannot be made, or that another user could write to.
public struct UnsafeDirectoryError: Error, CustomStringConvertible, Sendable {
    /// The directory refused.
    public let path: String
    /// What is wrong and what to do about it.
    public let description: String
}
