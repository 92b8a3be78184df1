/// Why a configuration could not be read: a TOML syntax error, a wrong type, an unknown key or section, an
/// out-of-range value or a malformed `--set` override.
///
/// Its ``description`` reads `vkserve.toml:7: model.slots: expected an integer, got a string ("x")`, or
/// `--set model.slots=abc: model.slots: ...` for an override.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    /// The file (as given to `load`), the `source` given to `parse`, or `--set KEY=VALUE` for an override.
    public let source: String
    /// The 1-based line in `source`, when known.
    public let line: Int?
    /// The dotted key at fault, such as `health.stall_timeout`, when there is one.
    public let key: String?
    /// What is wrong and what the value must be.
    public let message: String

    /// Creates an error.
    public init(source: String, line: Int?, key: String?, message: String) {
        self.source = source
        self.line = line
        self.key = key
        self.message = message
    }

    /// `SOURCE[:LINE]: [KEY: ]MESSAGE`.
    public var description: String {
        var text = source
        if let line {
            text += ":\(line)"
        }
        text += ": "
        if let key {
            text += "\(key): "
        }
        return text + message
    }
}
