import Foundation

/// What `vkserve inspect FILE` shows: a summary, every metadata entry and the tensor table,
/// as text for people (`render`) or as JSON for scripts (`json`).
public enum GGUFInspector {
    /// Arrays longer than this are shown as their length and first elements.
    public static let arrayPreview = 8
    /// Strings longer than this (in characters) are cut with an ellipsis in the text rendering.
    public static let stringPreview = 72

    /// The text report.
    public static func render(_ file: GGUFFile) -> String {
        let info = inspection(file)
        var out = ""
        out += "GGUF file \(info.path)\n"
        var summary: [(String, String)] = [
            ("version", "\(info.version)"),
            ("size", "\(grouped(info.fileSize)) bytes (\(humanBytes(info.fileSize)))"),
            ("alignment", "\(info.alignment)"),
            ("data offset", grouped(info.dataOffset)),
            ("metadata keys", "\(info.metadata.count)"),
            ("tensors", "\(info.tensorCount)"),
            ("parameters", "\(grouped(info.parameterCount)) (\(humanCount(info.parameterCount)))"),
        ]
        if let arch = file.metadata["general.architecture"]?.string { summary.insert(("architecture", arch), at: 0) }
        if let name = file.metadata["general.name"]?.string { summary.insert(("name", name), at: 0) }
        let labelWidth = summary.map(\.0.count).max() ?? 0
        for (label, value) in summary {
            out += "  \(pad(label + ":", labelWidth + 1)) \(value)\n"
        }
        if !info.bytesByType.isEmpty {
            out += "  bytes by type:\n"
            let rows = info.bytesByType.map { u in
                [u.type, "\(u.tensors) tensor\(u.tensors == 1 ? "" : "s")", grouped(u.elements) + " params",
                 grouped(u.bytes) + " bytes", humanBytes(u.bytes)]
            }
            out += table(rows, rightAligned: [false, true, true, true, true], indent: "    ")
        }

        out += "\nMetadata (\(info.metadata.count) keys):\n"
        let metaRows = zip(file.keys, info.metadata).map { key, entry in
            [key, entry.type, file.metadata[key].map(textValue) ?? ""]
        }
        out += table(metaRows, rightAligned: [false, false, false], indent: "  ")

        out += "\nTensors (\(info.tensorCount)):\n"
        var tensorRows = [["name", "type", "shape", "bytes"]]
        tensorRows += info.tensors.map { t in
            [t.name, t.type, t.shape.map(String.init).joined(separator: " x "), grouped(t.bytes)]
        }
        out += table(tensorRows, rightAligned: [false, false, false, true], indent: "  ")
        return out
    }

    /// The JSON report (pretty-printed, keys sorted).
    public static func json(_ file: GGUFFile) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let data = try encoder.encode(inspection(file))
        return String(decoding: data, as: UTF8.self)
    }

    /// The structured report both renderings are made from.
    public static func inspection(_ file: GGUFFile) -> GGUFInspection {
        var usage: [GGMLType: GGUFInspection.TypeUsage] = [:]
        var parameters = 0
        for t in file.tensors {
            parameters += t.elementCount
            var u = usage[t.type] ?? GGUFInspection.TypeUsage(type: t.type.description, tensors: 0, elements: 0, bytes: 0)
            u.tensors += 1
            u.elements += t.elementCount
            u.bytes += t.byteCount
            usage[t.type] = u
        }
        let metadata = file.keys.map { key -> GGUFInspection.MetadataEntry in
            let value = file.metadata[key]!
            if case .array(let a) = value {
                let (head, total) = preview(a)
                return .init(key: key, type: value.typeName, value: nil, count: total, head: head, truncated: total > head.count)
            }
            return .init(key: key, type: value.typeName, value: scalar(value), count: nil, head: nil, truncated: nil)
        }
        return GGUFInspection(
            path: file.path, version: file.version, fileSize: file.fileSize, alignment: file.alignment,
            dataOffset: file.dataOffset, tensorCount: file.tensors.count, parameterCount: parameters,
            bytesByType: usage.values.sorted { $0.bytes > $1.bytes },
            metadata: metadata,
            tensors: file.tensors.map { .init(name: $0.name, type: $0.type.description, shape: $0.shape, offset: $0.fileOffset, bytes: $0.byteCount) }
        )
    }

    // MARK: values

    private static func scalar(_ v: GGUFValue) -> GGUFInspection.Value {
        switch v {
        case .uint8(let x): return .int(Int64(x))
        case .int8(let x): return .int(Int64(x))
        case .uint16(let x): return .int(Int64(x))
        case .int16(let x): return .int(Int64(x))
        case .uint32(let x): return .int(Int64(x))
        case .int32(let x): return .int(Int64(x))
        case .uint64(let x): return Int64(exactly: x).map(GGUFInspection.Value.int) ?? .uint(x)
        case .int64(let x): return .int(x)
        case .float32(let x): return .double(Double(x))
        case .float64(let x): return .double(x)
        case .bool(let x): return .bool(x)
        case .string(let x): return .string(x)
        case .array(let a): return .array(preview(a).head)
        }
    }

    private static func preview(_ a: GGUFArray) -> (head: [GGUFInspection.Value], count: Int) {
        let n = min(a.count, arrayPreview)
        switch a {
        case .integers(let v, let t):
            return (v.prefix(n).map { t == "u64" && $0 < 0 ? .uint(UInt64(bitPattern: $0)) : .int($0) }, v.count)
        case .narrowIntegers(let v): return (v.prefix(n).map { .int($0) }, v.count)
        case .floats(let v, _): return (v.prefix(n).map { .double($0) }, v.count)
        case .bools(let v): return (v.prefix(n).map { .bool($0) }, v.count)
        case .strings(let v): return (v.prefix(n).map { .string($0) }, v.count)
        case .arrays(let v): return (v.prefix(n).map { .array(preview($0).head) }, v.count)
        }
    }

    /// One metadata value as the text rendering shows it.
    static func textValue(_ v: GGUFValue) -> String {
        switch v {
        case .string(let s): return quoted(s)
        case .float32(let x): return "\(x)"
        case .float64(let x): return "\(x)"
        case .bool(let x): return x ? "true" : "false"
        case .array(let a): return arrayText(a)
        default: return "\(v.int.map(String.init) ?? "")"
        }
    }

    private static func arrayText(_ a: GGUFArray) -> String {
        let n = min(a.count, arrayPreview)
        let items: [String]
        switch a {
        case .integers(let v, let t): items = v.prefix(n).map { t == "u64" && $0 < 0 ? "\(UInt64(bitPattern: $0))" : "\($0)" }
        case .narrowIntegers(let v): items = v.prefix(n).map { "\($0)" }
        case .floats(let v, let t): items = v.prefix(n).map { t == "f32" ? "\(Float($0))" : "\($0)" }
        case .bools(let v): items = v.prefix(n).map { $0 ? "true" : "false" }
        case .strings(let v): items = v.prefix(n).map { quoted($0, limit: 24) }
        case .arrays(let v): items = v.prefix(n).map(arrayText)
        }
        let more = a.count > n ? ", … (\(a.count) total)" : ""
        return "[\(items.joined(separator: ", "))\(more)]"
    }

    /// A string in quotes with control characters escaped, cut with an ellipsis past `limit` characters.
    static func quoted(_ s: String, limit: Int = stringPreview) -> String {
        var out = ""
        var shown = 0
        for ch in s {
            if shown == limit {
                return "\"\(out)\"… (\(s.count) chars)"
            }
            switch ch {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if let a = ch.asciiValue, a < 0x20 || a == 0x7f {
                    out += "\\u{\(String(a, radix: 16))}"
                } else {
                    out.append(ch)
                }
            }
            shown += 1
        }
        return "\"\(out)\""
    }

    // MARK: layout

    private static func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
        let n = s.count
        guard n < width else { return s }
        let fill = String(repeating: " ", count: width - n)
        return right ? fill + s : s + fill
    }

    private static func table(_ rows: [[String]], rightAligned: [Bool], indent: String) -> String {
        guard let columns = rows.first?.count else { return "" }
        var widths = [Int](repeating: 0, count: columns)
        for row in rows {
            for (i, cell) in row.enumerated() where i < columns - 1 || rightAligned[i] {
                widths[i] = max(widths[i], cell.count)
            }
        }
        var out = ""
        for row in rows {
            var line = indent
            for (i, cell) in row.enumerated() {
                if i > 0 { line += "  " }
                line += (i == columns - 1 && !rightAligned[i]) ? cell : pad(cell, widths[i], right: rightAligned[i])
            }
            out += line + "\n"
        }
        return out
    }

    static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(ch)
        }
        return (n < 0 ? "-" : "") + out
    }

    static func humanBytes(_ n: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(n), u = 0
        while v >= 1024 && u < units.count - 1 {
            v /= 1024
            u += 1
        }
        return u == 0 ? "\(n) B" : String(format: "%.1f ", v) + units[u]
    }

    static func humanCount(_ n: Int) -> String {
        switch n {
        case ..<1_000: return "\(n)"
        case ..<1_000_000: return String(format: "%.1fK", Double(n) / 1e3)
        case ..<1_000_000_000: return String(format: "%.1fM", Double(n) / 1e6)
        default: return String(format: "%.2fB", Double(n) / 1e9)
        }
    }
}

/// The structured content of `vkserve inspect --json`.
public struct GGUFInspection: Codable, Sendable, Equatable {
    /// A metadata value in JSON: numbers, booleans, strings and (previews of) arrays.
    public enum Value: Codable, Sendable, Equatable {
        case int(Int64)
        case uint(UInt64)
        case double(Double)
        case bool(Bool)
        case string(String)
        case array([Value])

        public init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) { self = .bool(b) }
            else if let i = try? c.decode(Int64.self) { self = .int(i) }
            else if let u = try? c.decode(UInt64.self) { self = .uint(u) }
            else if let d = try? c.decode(Double.self) { self = .double(d) }
            else if let s = try? c.decode(String.self) { self = .string(s) }
            else { self = .array(try c.decode([Value].self)) }
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .int(let v): try c.encode(v)
            case .uint(let v): try c.encode(v)
            case .double(let v): try c.encode(v)
            case .bool(let v): try c.encode(v)
            case .string(let v): try c.encode(v)
            case .array(let v): try c.encode(v)
            }
        }
    }

    public struct TypeUsage: Codable, Sendable, Equatable {
        public var type: String
        public var tensors: Int
        public var elements: Int
        public var bytes: Int
    }

    public struct MetadataEntry: Codable, Sendable, Equatable {
        public var key: String
        /// GGUF's type name: `u32`, `string`, `array[string]`, ...
        public var type: String
        /// The value, for scalars.
        public var value: Value?
        /// For arrays: the length, the first elements, and whether more were left out.
        public var count: Int?
        public var head: [Value]?
        public var truncated: Bool?
    }

    public struct TensorEntry: Codable, Sendable, Equatable {
        public var name: String
        public var type: String
        public var shape: [Int]
        /// Offset of the data from the start of the file.
        public var offset: Int
        public var bytes: Int
    }

    public var path: String
    public var version: Int
    public var fileSize: Int
    public var alignment: Int
    public var dataOffset: Int
    public var tensorCount: Int
    public var parameterCount: Int
    public var bytesByType: [TypeUsage]
    public var metadata: [MetadataEntry]
    public var tensors: [TensorEntry]
}
