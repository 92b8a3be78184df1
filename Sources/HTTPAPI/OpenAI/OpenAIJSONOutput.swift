import WorkerProtocol

/// A JSON value to write, with object members in the order given (OpenAI's order, for readable output).
enum OpenAIJSONOutput: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case string(String)
    case array([OpenAIJSONOutput])
    case object([Member])

    /// One member of an object.
    struct Member: Sendable, Equatable {
        var name: String
        var value: OpenAIJSONOutput
    }

    /// An object of `members`, in order.
    static func object(_ members: KeyValuePairs<String, OpenAIJSONOutput>) -> OpenAIJSONOutput {
        .object(members.map { Member(name: $0.key, value: $0.value) })
    }

    /// `value` as a string, or null.
    static func optionalString(_ value: String?) -> OpenAIJSONOutput {
        value.map { .string($0) } ?? .null
    }

    /// The compact UTF-8 encoding.
    var bytes: [UInt8] {
        var out: [UInt8] = []
        write(into: &out)
        return out
    }

    func write(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let value): out.append(contentsOf: (value ? "true" : "false").utf8)
        case .int(let value): out.append(contentsOf: String(value).utf8)
        case .string(let value): Self.write(string: value, into: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                element.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, member) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                Self.write(string: member.name, into: &out)
                out.append(UInt8(ascii: ":"))
                member.value.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// `value` quoted, with `"`, `\` and control characters escaped; everything else as UTF-8.
    static func write(string value: String, into out: inout [UInt8]) {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20, 0x7F:
                out.append(contentsOf: "\\u00".utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

extension OpenAIJSONOutput {
    /// OpenAI's `usage` object: `{"prompt_tokens":…,"completion_tokens":…,"total_tokens":…,
    /// "prompt_tokens_details":{"cached_tokens":…}}` (cached: reused from an earlier request's KV).
    static func usage(_ usage: Usage) -> OpenAIJSONOutput {
        .object([
            "prompt_tokens": .int(usage.promptTokens),
            "completion_tokens": .int(usage.completionTokens),
            "total_tokens": .int(usage.promptTokens + usage.completionTokens),
            "prompt_tokens_details": .object(["cached_tokens": .int(usage.cachedTokens)]),
        ])
    }
}
