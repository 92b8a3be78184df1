import ControlProtocol
import TOMLKit

/// A decoded configuration value, before it is stored into a ``SupervisorConfig``.
enum ConfigValue: Equatable {
    case string(String)
    case int(Int)
    case bool(Bool)
    case duration(Duration)

    /// The value as TOML source text.
    var tomlText: String {
        switch self {
        case .string(let text): return ConfigValue.quoted(text)
        case .int(let number): return String(number)
        case .bool(let flag): return String(flag)
        case .duration(let duration): return ConfigValue.quoted(DurationText.format(duration))
        }
    }

    /// `text` as a TOML basic string.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// "a string (\"x\")", "an integer (30)", "a table": how a TOML value is named in error messages.
    static func describe(_ value: TOMLValueConvertible) -> String {
        switch value.type {
        case .string: return "a string (\(abbreviated(quoted(value.string ?? ""))))"
        case .int: return "an integer (\(value.int.map(String.init) ?? "?"))"
        case .double: return "a floating-point number (\(value.double.map { String($0) } ?? "?"))"
        case .bool: return "a boolean (\(value.bool.map { String($0) } ?? "?"))"
        case .table: return "a table"
        case .array: return "an array"
        case .date: return "a date"
        case .time: return "a time"
        case .dateTime: return "a date-time"
        }
    }

    private static func abbreviated(_ text: String) -> String {
        text.count <= 60 ? text : String(text.prefix(57)) + "...\""
    }
}
