/// One metadata value of a GGUF file.
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8)
    case int8(Int8)
    case uint16(UInt16)
    case int16(Int16)
    case uint32(UInt32)
    case int32(Int32)
    case uint64(UInt64)
    case int64(Int64)
    case float32(Float)
    case float64(Double)
    case bool(Bool)
    case string(String)
    case array(GGUFArray)

    /// The value as an integer, when it is one of the integer types (or a bool).
    public var int: Int? {
        switch self {
        case .uint8(let v): return Int(v)
        case .int8(let v): return Int(v)
        case .uint16(let v): return Int(v)
        case .int16(let v): return Int(v)
        case .uint32(let v): return Int(v)
        case .int32(let v): return Int(v)
        case .uint64(let v): return Int(exactly: v)
        case .int64(let v): return Int(v)
        case .bool(let v): return v ? 1 : 0
        default: return nil
        }
    }

    /// The value as a floating-point number, when it is numeric.
    public var double: Double? {
        switch self {
        case .float32(let v): return Double(v)
        case .float64(let v): return v
        default: return int.map(Double.init)
        }
    }

    public var bool: Bool? {
        if case .bool(let v) = self { return v }
        return nil
    }

    public var string: String? {
        if case .string(let v) = self { return v }
        return nil
    }

    public var array: GGUFArray? {
        if case .array(let v) = self { return v }
        return nil
    }

    /// GGUF's name of the value's type, as errors and `vkserve inspect` print it.
    public var typeName: String {
        switch self {
        case .uint8: return "u8"
        case .int8: return "i8"
        case .uint16: return "u16"
        case .int16: return "i16"
        case .uint32: return "u32"
        case .int32: return "i32"
        case .uint64: return "u64"
        case .int64: return "i64"
        case .float32: return "f32"
        case .float64: return "f64"
        case .bool: return "bool"
        case .string: return "string"
        case .array(let a): return "array[\(a.elementTypeName)]"
        }
    }
}

/// A metadata array. Large arrays (vocabularies of 256k entries) are kept typed, not boxed per element.
public enum GGUFArray: Sendable, Equatable {
    case integers([Int64], typeName: String)
    case floats([Double], typeName: String)
    case bools([Bool])
    case strings([String])
    case arrays([GGUFArray])

    public var count: Int {
        switch self {
        case .integers(let v, _): return v.count
        case .floats(let v, _): return v.count
        case .bools(let v): return v.count
        case .strings(let v): return v.count
        case .arrays(let v): return v.count
        }
    }

    public var elementTypeName: String {
        switch self {
        case .integers(_, let t), .floats(_, let t): return t
        case .bools: return "bool"
        case .strings: return "string"
        case .arrays: return "array"
        }
    }

    public var strings: [String]? {
        if case .strings(let v) = self { return v }
        return nil
    }

    public var integers: [Int64]? {
        if case .integers(let v, _) = self { return v }
        return nil
    }

    public var floats: [Double]? {
        switch self {
        case .floats(let v, _): return v
        case .integers(let v, _): return v.map(Double.init)
        default: return nil
        }
    }
}
