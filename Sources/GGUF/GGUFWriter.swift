#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Builds a GGUF v3 file: ordered metadata, then tensor descriptors, then tensor data, each
/// tensor's data aligned to `general.alignment` (32 unless the metadata says otherwise).
///
/// ```swift
/// var writer = GGUFWriter(metadata: [("general.architecture", .string("llama"))])
/// try writer.addTensor(name: "token_embd.weight", shape: [64, 100], type: .q8_0, values: embeddings)
/// try writer.write(to: "/tmp/tiny.gguf")
/// ```
public struct GGUFWriter: Sendable {
    /// One tensor to write: its descriptor and its encoded bytes.
    public struct Tensor: Sendable, Equatable {
        public let name: String
        public let type: GGMLType
        /// ggml order: `shape[0]` is the row length.
        public let shape: [Int]
        public let bytes: [UInt8]
    }

    /// Metadata in the order it will be written.
    public private(set) var metadata: [(key: String, value: GGUFValue)]
    public private(set) var tensors: [Tensor] = []

    /// Starts a file with `metadata` in order. A non-nil `alignment` sets `general.alignment` (u32).
    public init(metadata: [(String, GGUFValue)] = [], alignment: Int? = nil) {
        self.metadata = metadata.map { (key: $0.0, value: $0.1) }
        if let alignment { set("general.alignment", .uint32(UInt32(clamping: alignment))) }
    }

    /// The alignment the file will use: `general.alignment` when present, else 32.
    public var alignment: Int {
        metadata.last(where: { $0.key == "general.alignment" })?.value.int ?? 32
    }

    /// Sets a metadata value, replacing an existing key in place or appending a new one.
    public mutating func set(_ key: String, _ value: GGUFValue) {
        if let i = metadata.firstIndex(where: { $0.key == key }) {
            metadata[i].value = value
        } else {
            metadata.append((key: key, value: value))
        }
    }

    /// Adds a tensor from already-encoded bytes.
    public mutating func addTensor(name: String, type: GGMLType, shape: [Int], bytes: [UInt8]) throws(GGUFError) {
        guard !tensors.contains(where: { $0.name == name }) else {
            throw GGUFError(.malformed, "GGUFWriter: tensor '\(name)' added twice")
        }
        let elements = try Self.elementCount(name: name, type: type, shape: shape)
        guard let expected = type.byteCount(elements: elements), expected == bytes.count else {
            throw GGUFError(.malformed, "GGUFWriter: tensor '\(name)' (\(type), shape \(shape)) needs \(type.byteCount(elements: elements) ?? -1) bytes, got \(bytes.count)")
        }
        tensors.append(Tensor(name: name, type: type, shape: shape, bytes: bytes))
    }

    /// Adds a tensor from floats (row-major in ggml order), encoding them as `type` with `BlockCodec`.
    public mutating func addTensor(name: String, shape: [Int], type: GGMLType = .f32, values: [Float]) throws(GGUFError) {
        let elements = try Self.elementCount(name: name, type: type, shape: shape)
        guard values.count == elements else {
            throw GGUFError(.malformed, "GGUFWriter: tensor '\(name)' has shape \(shape) (\(elements) elements) but \(values.count) values")
        }
        try addTensor(name: name, type: type, shape: shape, bytes: try BlockCodec.quantize(type, values))
    }

    private static func elementCount(name: String, type: GGMLType, shape: [Int]) throws(GGUFError) -> Int {
        guard (1 ... GGUFParser.maxDimensions).contains(shape.count), shape.allSatisfy({ $0 > 0 }) else {
            throw GGUFError(.malformed, "GGUFWriter: tensor '\(name)' shape \(shape) must have 1 to \(GGUFParser.maxDimensions) positive dimensions")
        }
        guard shape[0] % type.blockSize == 0 else {
            throw GGUFError(.malformed, "GGUFWriter: tensor '\(name)' row length \(shape[0]) is not a multiple of the \(type) block size \(type.blockSize)")
        }
        var elements = 1
        for d in shape {
            let (p, overflow) = elements.multipliedReportingOverflow(by: d)
            guard !overflow, p < 1 << 48 else { throw GGUFError(.malformed, "GGUFWriter: tensor '\(name)' shape \(shape) is too large") }
            elements = p
        }
        return elements
    }

    // MARK: output

    /// The whole file as bytes.
    public func serialized() throws(GGUFError) -> [UInt8] {
        var out = try header()
        for t in tensors {
            out += t.bytes
            out += [UInt8](repeating: 0, count: Self.padding(t.bytes.count, alignment))
        }
        return out
    }

    /// Writes the file atomically: into a temporary file beside `path`, flushed, then renamed over it.
    public func write(to path: String) throws(GGUFError) {
        let head = try header()
        let tmp = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw GGUFError(.io, "\(path): cannot create \(tmp): \(String(cString: strerror(errno)))")
        }
        var ok = false
        defer {
            if !ok { unlink(tmp) }
        }
        do {
            defer { close(fd) }
            try Self.writeAll(fd, head, tmp)
            let zeros = [UInt8](repeating: 0, count: alignment)
            for t in tensors {
                try Self.writeAll(fd, t.bytes, tmp)
                try Self.writeAll(fd, zeros[0 ..< Self.padding(t.bytes.count, alignment)], tmp)
            }
            guard fsync(fd) == 0 else {
                throw GGUFError(.io, "\(tmp): fsync failed: \(String(cString: strerror(errno)))")
            }
        }
        guard rename(tmp, path) == 0 else {
            throw GGUFError(.io, "\(path): cannot rename \(tmp) into place: \(String(cString: strerror(errno)))")
        }
        ok = true
    }

    private static func writeAll<C: Collection>(_ fd: Int32, _ bytes: C, _ path: String) throws(GGUFError) where C.Element == UInt8 {
        let failure: Int32? = bytes.withContiguousStorageIfAvailable { buf -> Int32? in
            var done = 0
            while done < buf.count {
                let n = Glibc_write(fd, buf.baseAddress! + done, buf.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                done += n
            }
            return nil
        } ?? nil
        if let failure {
            throw GGUFError(.io, "\(path): write failed: \(String(cString: strerror(failure)))")
        }
    }

    private static func padding(_ n: Int, _ alignment: Int) -> Int {
        let rem = n % alignment
        return rem == 0 ? 0 : alignment - rem
    }

    /// Header, metadata, tensor descriptors and the padding before the data section.
    private func header() throws(GGUFError) -> [UInt8] {
        let alignment = self.alignment
        if let a = metadata.last(where: { $0.key == "general.alignment" })?.value {
            switch a {
            case .uint8, .int8, .uint16, .int16, .uint32, .int32, .uint64, .int64: break
            default: throw GGUFError(.malformed, "GGUFWriter: general.alignment must be an integer, is \(a.typeName)")
            }
        }
        guard alignment > 0, alignment & (alignment - 1) == 0 else {
            throw GGUFError(.malformed, "GGUFWriter: general.alignment must be a power of two, is \(alignment)")
        }
        var seen = Set<String>()
        for (key, _) in metadata where !seen.insert(key).inserted {
            throw GGUFError(.malformed, "GGUFWriter: metadata key '\(key)' appears twice")
        }

        var out = ByteSink()
        out.u32(GGUFParser.magic)
        out.u32(3)
        out.u64(UInt64(tensors.count))
        out.u64(UInt64(metadata.count))
        for (key, value) in metadata {
            out.string(key)
            try out.value(value, key: key)
        }
        var offset = 0
        for t in tensors {
            out.string(t.name)
            out.u32(UInt32(t.shape.count))
            for d in t.shape { out.u64(UInt64(d)) }
            out.u32(t.type.rawValue)
            out.u64(UInt64(offset))
            offset += t.bytes.count + Self.padding(t.bytes.count, alignment)
        }
        out.bytes += [UInt8](repeating: 0, count: Self.padding(out.bytes.count, alignment))
        return out.bytes
    }
}

@inline(__always)
private func Glibc_write(_ fd: Int32, _ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
    write(fd, p, n)
}

/// Little-endian encoder for GGUF's header structures.
private struct ByteSink {
    var bytes: [UInt8] = []

    mutating func int<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.littleEndian) { bytes += $0 }
    }

    mutating func u32(_ v: UInt32) { int(v) }
    mutating func u64(_ v: UInt64) { int(v) }

    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        u64(UInt64(utf8.count))
        bytes += utf8
    }

    /// The type code and payload of a metadata value.
    mutating func value(_ v: GGUFValue, key: String) throws(GGUFError) {
        switch v {
        case .uint8(let x): u32(0); int(x)
        case .int8(let x): u32(1); int(x)
        case .uint16(let x): u32(2); int(x)
        case .int16(let x): u32(3); int(x)
        case .uint32(let x): u32(4); int(x)
        case .int32(let x): u32(5); int(x)
        case .float32(let x): u32(6); int(x.bitPattern)
        case .bool(let x): u32(7); int(UInt8(x ? 1 : 0))
        case .string(let x): u32(8); string(x)
        case .array(let a): u32(9); try array(a, key: key)
        case .uint64(let x): u32(10); int(x)
        case .int64(let x): u32(11); int(x)
        case .float64(let x): u32(12); int(x.bitPattern)
        }
    }

    /// Element type, count and elements of an array (nested arrays recurse).
    mutating func array(_ a: GGUFArray, key: String) throws(GGUFError) {
        switch a {
        case .integers(let values, let typeName):
            let codes: [String: (UInt32, Int64, Int64)] = [
                "u8": (0, 0, Int64(UInt8.max)), "i8": (1, Int64(Int8.min), Int64(Int8.max)),
                "u16": (2, 0, Int64(UInt16.max)), "i16": (3, Int64(Int16.min), Int64(Int16.max)),
                "u32": (4, 0, Int64(UInt32.max)), "i32": (5, Int64(Int32.min), Int64(Int32.max)),
                "u64": (10, Int64.min, Int64.max), "i64": (11, Int64.min, Int64.max),
            ]
            guard let (code, lo, hi) = codes[typeName] else {
                throw GGUFError(.malformed, "GGUFWriter: array '\(key)' has unknown integer element type '\(typeName)'")
            }
            if let bad = values.first(where: { $0 < lo || $0 > hi }) {
                throw GGUFError(.malformed, "GGUFWriter: array '\(key)' holds \(bad), which does not fit \(typeName)")
            }
            u32(code)
            u64(UInt64(values.count))
            bytes.reserveCapacity(bytes.count + values.count * 8)
            for v in values {
                switch code {
                case 0: int(UInt8(v))
                case 1: int(Int8(v))
                case 2: int(UInt16(v))
                case 3: int(Int16(v))
                case 4: int(UInt32(v))
                case 5: int(Int32(v))
                case 10: int(UInt64(bitPattern: v))  // the reader keeps u64 as its bit pattern
                default: int(v)
                }
            }
        case .narrowIntegers(let values):
            u32(values.typeCode)
            u64(UInt64(values.count))
            switch values {
            case .u8(let v): bytes.append(contentsOf: v)
            case .i8(let v): for x in v { int(x) }
            case .u16(let v): for x in v { int(x) }
            case .i16(let v): for x in v { int(x) }
            case .u32(let v): for x in v { int(x) }
            case .i32(let v): for x in v { int(x) }
            }
        case .floats(let values, let typeName):
            guard typeName == "f32" || typeName == "f64" else {
                throw GGUFError(.malformed, "GGUFWriter: array '\(key)' has unknown float element type '\(typeName)'")
            }
            u32(typeName == "f32" ? 6 : 12)
            u64(UInt64(values.count))
            for v in values {
                if typeName == "f32" { int(Float(v).bitPattern) } else { int(v.bitPattern) }
            }
        case .bools(let values):
            u32(7)
            u64(UInt64(values.count))
            for v in values { int(UInt8(v ? 1 : 0)) }
        case .strings(let values):
            u32(8)
            u64(UInt64(values.count))
            for v in values { string(v) }
        case .arrays(let values):
            u32(9)
            u64(UInt64(values.count))
            for v in values { try array(v, key: key) }
        }
    }
}
