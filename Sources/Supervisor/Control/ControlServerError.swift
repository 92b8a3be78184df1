/// The control socket could not be set up.
public struct ControlServerError: Error, CustomStringConvertible, Sendable {
    public let description: String
}
