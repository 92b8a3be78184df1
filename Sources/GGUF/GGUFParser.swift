/// Parses the header, metadata and tensor descriptors of a GGUF image held in memory.
enum GGUFParser {
    struct Parsed {
        var version: Int
        var keys: [String]
        var metadata: [String: GGUFValue]
        var tensors: [GGUFTensorInfo]
        var alignment: Int
        var dataOffset: Int
    }

    static let magic: UInt32 = 0x4655_4747  // "GGUF" little-endian
    static let maxDimensions = 4
    /// Counts come from the file: reserve at most this many elements up front, so a forged count
    /// (that still fits the file at its minimum element size) cannot force a huge allocation.
    static let maxReserve = 1 << 16

    @inline(__always)
    static func reserve(_ n: Int) -> Int { min(n, maxReserve) }

    static func parse(base: UnsafeRawPointer, count: Int, fileName: String) throws(GGUFError) -> Parsed {
        var r = ByteReader(base: base, count: count, fileName: fileName)
        let magic = try r.read(UInt32.self, "magic")
        guard magic == Self.magic else {
            throw GGUFError(.badMagic, "\(fileName): not a GGUF file (magic is 0x\(String(magic, radix: 16)), expected 'GGUF')")
        }
        let version = Int(try r.read(UInt32.self, "version"))
        guard version == 2 || version == 3 else {
            throw GGUFError(.unsupportedVersion, "\(fileName): GGUF version \(version) is not supported (only 2 and 3)")
        }
        // A tensor descriptor takes at least 8 (name length) + 4 + 8 + 4 + 8 bytes; a metadata entry 8 + 4.
        let tensorCount = try r.readCount("tensor count", minBytesEach: 32)
        let kvCount = try r.readCount("metadata count", minBytesEach: 12)

        var keys: [String] = []
        var metadata: [String: GGUFValue] = [:]
        keys.reserveCapacity(reserve(kvCount))
        for i in 0 ..< kvCount {
            let key = try r.readString("key of metadata entry \(i)")
            let typeAt = r.offset
            let type = try r.read(UInt32.self, "type of '\(key)'")
            let value = try readValue(&r, type: type, typeAt: typeAt, key: key, depth: 0)
            if metadata.updateValue(value, forKey: key) != nil {
                throw GGUFError(.malformed, "\(fileName): metadata key '\(key)' appears twice")
            }
            keys.append(key)
        }

        var alignment = 32
        if let a = metadata["general.alignment"] {
            // An integer type (the spec says u32); a bool would otherwise read as 0 or 1.
            guard a.bool == nil, let v = a.int, v > 0, v & (v - 1) == 0, v <= 1 << 30 else {
                throw GGUFError(.malformed, "\(fileName): general.alignment must be a power of two, is \(a)")
            }
            alignment = v
        }

        struct Raw { var name: String; var type: GGMLType; var shape: [Int]; var offset: Int; var bytes: Int }
        var raws: [Raw] = []
        raws.reserveCapacity(reserve(tensorCount))
        var seen = Set<String>()
        for i in 0 ..< tensorCount {
            let name = try r.readString("name of tensor \(i)")
            guard seen.insert(name).inserted else {
                throw GGUFError(.malformed, "\(fileName): tensor '\(name)' appears twice")
            }
            let dimsAt = r.offset
            let nDims = Int(try r.read(UInt32.self, "dimension count of '\(name)'"))
            guard (1 ... maxDimensions).contains(nDims) else {
                throw GGUFError(.malformed, "\(fileName): tensor '\(name)' has \(nDims) dimensions at byte \(dimsAt) (1 to \(maxDimensions) allowed)")
            }
            var shape: [Int] = []
            var elements = 1
            for d in 0 ..< nDims {
                let raw = try r.read(UInt64.self, "dimension \(d) of '\(name)'")
                guard raw > 0, raw < 1 << 40 else {
                    throw GGUFError(.malformed, "\(fileName): tensor '\(name)' dimension \(d) is \(raw)")
                }
                shape.append(Int(raw))
                let (p, o) = elements.multipliedReportingOverflow(by: Int(raw))
                guard !o, p < 1 << 48 else {
                    throw GGUFError(.malformed, "\(fileName): tensor '\(name)' has too many elements")
                }
                elements = p
            }
            let typeAt = r.offset
            let rawType = try r.read(UInt32.self, "type of '\(name)'")
            guard let type = GGMLType(rawValue: rawType) else {
                throw GGUFError(.unsupportedType, "\(fileName): tensor '\(name)' has ggml type \(rawType) at byte \(typeAt), which this build does not support")
            }
            guard shape[0] % type.blockSize == 0, let bytes = type.byteCount(elements: elements) else {
                throw GGUFError(.malformed, "\(fileName): tensor '\(name)' row length \(shape[0]) is not a multiple of the \(type) block size \(type.blockSize)")
            }
            let offset = try r.read(UInt64.self, "data offset of '\(name)'")
            // An offset past the end is reported below as out of bounds (usually a truncated file).
            guard offset <= UInt64(Int.max / 4) else {
                throw GGUFError(.malformed, "\(fileName): tensor '\(name)' data offset \(offset) is impossibly large")
            }
            guard Int(offset) % alignment == 0 else {
                throw GGUFError(.malformed, "\(fileName): tensor '\(name)' data offset \(offset) is not aligned to \(alignment)")
            }
            raws.append(Raw(name: name, type: type, shape: shape, offset: Int(offset), bytes: bytes))
        }
        r.align(to: alignment)
        // A file without tensors (a vocabulary-only file, like llama.cpp's ggml-vocab-*.gguf) has an
        // empty data section and needs no padding before it: llama.cpp reads such files unpadded.
        let dataOffset = raws.isEmpty ? min(r.offset, count) : r.offset
        guard dataOffset <= count else {
            throw GGUFError(.truncated, "\(fileName): truncated: the tensor data section would start at byte \(dataOffset), past the end (\(count) bytes)")
        }

        var tensors: [GGUFTensorInfo] = []
        tensors.reserveCapacity(raws.count)
        for t in raws {
            let start = dataOffset + t.offset
            guard start <= count, t.bytes <= count - start else {
                throw GGUFError(.tensorOutOfBounds,
                                "\(fileName): truncated: tensor '\(t.name)' needs bytes \(start)..<\(start + t.bytes) but the file has \(count) (truncated download?)")
            }
            tensors.append(GGUFTensorInfo(name: t.name, type: t.type, shape: t.shape, fileOffset: start, byteCount: t.bytes))
        }
        // Two tensors sharing bytes means a forged or corrupt descriptor table.
        let byOffset = tensors.sorted { $0.fileOffset < $1.fileOffset }
        for (a, b) in zip(byOffset, byOffset.dropFirst()) where a.fileOffset + a.byteCount > b.fileOffset {
            throw GGUFError(.tensorOutOfBounds,
                            "\(fileName): tensor '\(a.name)' (bytes \(a.fileOffset)..<\(a.fileOffset + a.byteCount)) overlaps tensor '\(b.name)' (from byte \(b.fileOffset))")
        }
        return Parsed(version: version, keys: keys, metadata: metadata, tensors: tensors,
                      alignment: alignment, dataOffset: dataOffset)
    }

    static let maxArrayDepth = 4

    static func readValue(_ r: inout ByteReader, type: UInt32, typeAt: Int, key: String, depth: Int) throws(GGUFError) -> GGUFValue {
        switch type {
        case 0: return .uint8(try r.read(UInt8.self, "'\(key)'"))
        case 1: return .int8(try r.read(Int8.self, "'\(key)'"))
        case 2: return .uint16(try r.read(UInt16.self, "'\(key)'"))
        case 3: return .int16(try r.read(Int16.self, "'\(key)'"))
        case 4: return .uint32(try r.read(UInt32.self, "'\(key)'"))
        case 5: return .int32(try r.read(Int32.self, "'\(key)'"))
        case 6: return .float32(try r.readFloat("'\(key)'"))
        case 7:
            let b = try r.read(UInt8.self, "'\(key)'")
            guard b <= 1 else { throw GGUFError(.malformed, "\(r.fileName): bool '\(key)' holds \(b) at byte \(r.offset - 1)") }
            return .bool(b == 1)
        case 8: return .string(try r.readString("'\(key)'"))
        case 9: return .array(try readArray(&r, key: key, depth: depth))
        case 10: return .uint64(try r.read(UInt64.self, "'\(key)'"))
        case 11: return .int64(try r.read(Int64.self, "'\(key)'"))
        case 12: return .float64(try r.readDouble("'\(key)'"))
        default:
            throw GGUFError(.malformed, "\(r.fileName): metadata '\(key)' has unknown value type \(type) at byte \(typeAt)")
        }
    }

    static func readArray(_ r: inout ByteReader, key: String, depth: Int) throws(GGUFError) -> GGUFArray {
        guard depth < maxArrayDepth else {
            throw GGUFError(.malformed, "\(r.fileName): metadata '\(key)' nests arrays deeper than \(maxArrayDepth)")
        }
        let typeAt = r.offset
        let elementType = try r.read(UInt32.self, "element type of '\(key)'")
        let width: Int
        switch elementType {
        case 0, 1, 7: width = 1
        case 2, 3: width = 2
        case 4, 5, 6: width = 4
        case 10, 11, 12: width = 8
        case 8, 9: width = 8  // a string or nested array takes at least its 8-byte length
        default:
            throw GGUFError(.malformed, "\(r.fileName): array '\(key)' has unknown element type \(elementType) at byte \(typeAt)")
        }
        let n = try r.readCount("length of array '\(key)'", minBytesEach: width)
        switch elementType {
        // The count fits what is left of the file, so these allocate no more than the file holds.
        case 0: return .narrowIntegers(.u8(try r.readIntegers(UInt8.self, count: n, "'\(key)'")))
        case 1: return .narrowIntegers(.i8(try r.readIntegers(Int8.self, count: n, "'\(key)'")))
        case 2: return .narrowIntegers(.u16(try r.readIntegers(UInt16.self, count: n, "'\(key)'")))
        case 3: return .narrowIntegers(.i16(try r.readIntegers(Int16.self, count: n, "'\(key)'")))
        case 4: return .narrowIntegers(.u32(try r.readIntegers(UInt32.self, count: n, "'\(key)'")))
        case 5: return .narrowIntegers(.i32(try r.readIntegers(Int32.self, count: n, "'\(key)'")))
        case 10:
            // The reader keeps u64 as its bit pattern.
            let values = try r.readIntegers(UInt64.self, count: n, "'\(key)'")
            return .integers(values.map { Int64(bitPattern: $0) }, typeName: "u64")
        case 11: return .integers(try r.readIntegers(Int64.self, count: n, "'\(key)'"), typeName: "i64")
        case 6, 12:
            var out = [Double]()
            out.reserveCapacity(reserve(n))
            for _ in 0 ..< n {
                out.append(elementType == 6 ? Double(try r.readFloat("'\(key)'")) : try r.readDouble("'\(key)'"))
            }
            return .floats(out, typeName: elementType == 6 ? "f32" : "f64")
        case 7:
            var out = [Bool]()
            out.reserveCapacity(reserve(n))
            for _ in 0 ..< n { out.append(try r.read(UInt8.self, "'\(key)'") != 0) }
            return .bools(out)
        case 8:
            var out = [String]()
            out.reserveCapacity(reserve(n))
            for i in 0 ..< n { out.append(try r.readString("element \(i) of '\(key)'")) }
            return .strings(out)
        default:
            var out = [GGUFArray]()
            for _ in 0 ..< n { out.append(try readArray(&r, key: key, depth: depth + 1)) }
            return .arrays(out)
        }
    }
}
