/// Why a GGUF file could not be read or written. The description names the file, the offset
/// and what was expected, so an operator can tell a truncated download from a wrong format.
public struct GGUFError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable, Equatable {
        /// The file could not be opened or mapped.
        case io
        /// The first four bytes are not `GGUF`.
        case badMagic
        /// A version other than 2 or 3.
        case unsupportedVersion
        /// The file ends before a structure it declares.
        case truncated
        /// A field holds a value that cannot be right (a count too large, an unknown type, bad UTF-8).
        case malformed
        /// A tensor's data lies outside the file or overlaps what precedes it.
        case tensorOutOfBounds
        /// A metadata key or tensor the caller needs is absent or has the wrong type.
        case missing
        /// A tensor type this build has no codec for.
        case unsupportedType
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
