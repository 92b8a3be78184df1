#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension SupervisorConfig {
    /// Reads and validates a TOML file; `overrides` are `"dotted.key=value"` strings from the command line
    /// (`--set`), applied on top in order.
    ///
    /// - Throws: ``ConfigError`` naming the file and line, or the override, at fault.
    public static func load(path: String, overrides: [String] = []) throws(ConfigError) -> SupervisorConfig {
        let text: String
        switch readFile(path) {
        case .success(let contents): text = contents
        case .failure(let error): throw error
        }
        return try parse(text, source: path, overrides: overrides)
    }

    /// Parses and validates a TOML text; `source` names the file in errors. `overrides` are applied as by
    /// ``load(path:overrides:)``.
    ///
    /// - Throws: ``ConfigError`` naming the line, or the override, at fault.
    public static func parse(
        _ text: String, source: String = "<config>", overrides: [String] = []
    ) throws(ConfigError) -> SupervisorConfig {
        var reader = ConfigReader(source: source)
        try reader.read(text, source: source)
        for override in overrides {
            try reader.apply(override: override)
        }
        try reader.validate()
        return reader.config
    }

    private static func readFile(_ path: String) -> Result<String, ConfigError> {
        func failure(_ message: String) -> Result<String, ConfigError> {
            .failure(ConfigError(source: path, line: nil, key: nil, message: message))
        }
        guard let file = fopen(path, "rb") else {
            return failure("cannot open the configuration: \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            bytes.append(contentsOf: buffer[0..<count])
            if count < buffer.count {
                if ferror(file) != 0 {
                    return failure("cannot read the configuration: \(String(cString: strerror(errno)))")
                }
                break
            }
            if bytes.count > 16 << 20 {
                return failure("the configuration is larger than 16 MiB")
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return failure("the configuration is not valid UTF-8")
        }
        return .success(text)
    }
}
