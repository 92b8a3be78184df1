/// The elements of a metadata integer array held at the file's own width (u8 to i32). A crafted file's array
/// of a million u8 then costs a megabyte, not the eight a widened `[Int64]` would.
public enum GGUFIntegerArray: Sendable, Equatable {
    case u8([UInt8])
    case i8([Int8])
    case u16([UInt16])
    case i16([Int16])
    case u32([UInt32])
    case i32([Int32])

    public var count: Int {
        switch self {
        case .u8(let v): return v.count
        case .i8(let v): return v.count
        case .u16(let v): return v.count
        case .i16(let v): return v.count
        case .u32(let v): return v.count
        case .i32(let v): return v.count
        }
    }

    /// GGUF's name of the element type ("u8" ... "i32").
    public var typeName: String {
        switch self {
        case .u8: return "u8"
        case .i8: return "i8"
        case .u16: return "u16"
        case .i16: return "i16"
        case .u32: return "u32"
        case .i32: return "i32"
        }
    }

    /// GGUF's code of the element type, as the file stores it.
    var typeCode: UInt32 {
        switch self {
        case .u8: return 0
        case .i8: return 1
        case .u16: return 2
        case .i16: return 3
        case .u32: return 4
        case .i32: return 5
        }
    }

    /// The element at `index`, widened.
    public subscript(index: Int) -> Int64 {
        switch self {
        case .u8(let v): return Int64(v[index])
        case .i8(let v): return Int64(v[index])
        case .u16(let v): return Int64(v[index])
        case .i16(let v): return Int64(v[index])
        case .u32(let v): return Int64(v[index])
        case .i32(let v): return Int64(v[index])
        }
    }

    /// The first `n` elements (or all, when there are fewer), widened.
    public func prefix(_ n: Int) -> [Int64] {
        (0 ..< Swift.min(n, count)).map { self[$0] }
    }

    /// Every element widened: eight bytes each, for callers that want plain integers of a bounded array
    /// (token types: one per vocabulary entry).
    public var widened: [Int64] { prefix(count) }
}
