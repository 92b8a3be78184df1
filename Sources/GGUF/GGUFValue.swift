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

/// A metadata array. Large arrays (vocabularies of 256k entries) are kept typed, not boxed per element;
/// integer arrays read from a file keep the file's element width (`narrowIntegers`), so no array costs much
/// more memory than the bytes it came from.
public enum GGUFArray: Sendable, Equatable {
    /// Integers of any element type given as `Int64` (u64 as its bit pattern); what a file's u64 and i64 arrays
    /// read as, and what code building metadata may use for any width (the writer checks the range).
    case integers([Int64], typeName: String)
    /// u8 to i32 integers at their own width, as read from a file.
    case narrowIntegers(GGUFIntegerArray)
    case floats([Double], typeName: String)
    case bools([Bool])
    case strings([String])
    case arrays([GGUFArray])

    public var count: Int {
        switch self {
        case .integers(let v, _): return v.count
        case .narrowIntegers(let v): return v.count
        case .floats(let v, _): return v.count
        case .bools(let v): return v.count
        case .strings(let v): return v.count
        case .arrays(let v): return v.count
        }
    }

    public var elementTypeName: String {
        switch self {
        case .integers(_, let t), .floats(_, let t): return t
        case .narrowIntegers(let v): return v.typeName
        case .bools: return "bool"
        case .strings: return "string"
        case .arrays: return "array"
        }
    }

    public var strings: [String]? {
        if case .strings(let v) = self { return v }
        return nil
    }

    /// The elements of an integer array of any width, widened (u64 as its bit pattern).
    public var integers: [Int64]? {
        switch self {
        case .integers(let v, _): return v
        case .narrowIntegers(let v): return v.widened
        default: return nil
        }
    }

    public var floats: [Double]? {
        switch self {
        case .floats(let v, _): return v
        case .integers(let v, _): return v.map(Double.init)
        case .narrowIntegers(let v): return v.widened.map(Double.init)
        default: return nil
        }
    }

    /// Equal when the element types and the elements are: an integer array compares by value whether it is held
    /// widened or narrow, so metadata built with `integers` equals what a file read back holds.
    public static func == (a: GGUFArray, b: GGUFArray) -> Bool {
        switch (a, b) {
        case (.narrowIntegers(let x), .narrowIntegers(let y)): return x == y
        case (.integers(let x, let s), .integers(let y, let t)): return s == t && x == y
        case (.integers, .narrowIntegers), (.narrowIntegers, .integers):
            return a.elementTypeName == b.elementTypeName && a.integers == b.integers
        case (.floats(let x, let s), .floats(let y, let t)): return s == t && x == y
        case (.bools(let x), .bools(let y)): return x == y
        case (.strings(let x), .strings(let y)): return x == y
        case (.arrays(let x), .arrays(let y)): return x == y
        default: return false
        }
    }
}
