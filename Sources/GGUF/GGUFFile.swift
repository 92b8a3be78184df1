#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A GGUF (v2 or v3) file mapped read-only into memory.
///
/// Opening parses and validates the header, every metadata entry and every tensor descriptor,
/// and checks that each tensor's bytes lie inside the file; afterwards tensor data is read
/// straight from the mapping without copies.
public final class GGUFFile: @unchecked Sendable {
    public let path: String
    public let version: Int
    /// Metadata keys in file order.
    public let keys: [String]
    public let metadata: [String: GGUFValue]
    public let tensors: [GGUFTensorInfo]
    public let alignment: Int
    /// Offset of the tensor data section.
    public let dataOffset: Int
    public let fileSize: Int

    private let mapping: UnsafeMutableRawPointer?
    /// Whether `mapping` came from `mmap` (else it was allocated by `init(bytes:name:)`).
    private let isMapped: Bool
    private let tensorIndex: [String: Int]

    public init(path: String) throws(GGUFError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw GGUFError(.io, "\(path): cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw GGUFError(.io, "\(path): cannot stat: \(String(cString: strerror(errno)))")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw GGUFError(.io, "\(path): not a regular file")
        }
        let size = Int(st.st_size)
        fileSize = size
        guard size >= 24 else {
            throw GGUFError(.truncated, "\(path): \(size) bytes is too short for a GGUF header (24 bytes)")
        }
        guard let map = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), map != MAP_FAILED else {
            throw GGUFError(.io, "\(path): cannot map \(size) bytes: \(String(cString: strerror(errno)))")
        }
        mapping = map
        isMapped = true
        do {
            let parsed = try GGUFParser.parse(base: UnsafeRawPointer(map), count: size, fileName: path)
            version = parsed.version
            keys = parsed.keys
            metadata = parsed.metadata
            tensors = parsed.tensors
            alignment = parsed.alignment
            dataOffset = parsed.dataOffset
        } catch {
            munmap(map, size)
            throw error
        }
        var index: [String: Int] = [:]
        for (i, t) in tensors.enumerated() { index[t.name] = i }
        tensorIndex = index
    }

    /// Parses a GGUF image held in memory (copied), as if it were the file `name`. Tests and tools
    /// that build or cut files in memory use this; it validates exactly what `init(path:)` does.
    public init(bytes: [UInt8], name: String = "<memory>") throws(GGUFError) {
        path = name
        fileSize = bytes.count
        guard bytes.count >= 24 else {
            throw GGUFError(.truncated, "\(name): \(bytes.count) bytes is too short for a GGUF header (24 bytes)")
        }
        let copy = UnsafeMutableRawPointer.allocate(byteCount: bytes.count, alignment: 64)
        bytes.withUnsafeBytes { copy.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        mapping = copy
        isMapped = false
        do {
            let parsed = try GGUFParser.parse(base: UnsafeRawPointer(copy), count: bytes.count, fileName: name)
            version = parsed.version
            keys = parsed.keys
            metadata = parsed.metadata
            tensors = parsed.tensors
            alignment = parsed.alignment
            dataOffset = parsed.dataOffset
        } catch {
            copy.deallocate()
            throw error
        }
        var index: [String: Int] = [:]
        for (i, t) in tensors.enumerated() { index[t.name] = i }
        tensorIndex = index
    }

    deinit {
        guard let mapping else { return }
        if isMapped {
            munmap(mapping, fileSize)
        } else {
            mapping.deallocate()
        }
    }

    /// The whole mapping, for callers (the engine) that address tensors by offset.
    public var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: mapping, count: fileSize)
    }

    public func tensor(named name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// The bytes of a tensor, straight from the mapping.
    public func data(of tensor: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[tensor.fileOffset ..< tensor.fileOffset + tensor.byteCount])
    }

    /// A tensor's elements as floats, dequantized with `BlockCodec`.
    public func floats(of tensor: GGUFTensorInfo) throws(GGUFError) -> [Float] {
        try BlockCodec.dequantize(tensor.type, data(of: tensor), count: tensor.elementCount)
    }

    /// One row (`rowLength` elements) of a tensor as floats.
    public func floats(of tensor: GGUFTensorInfo, row: Int) throws(GGUFError) -> [Float] {
        guard (0 ..< tensor.rowCount).contains(row) else {
            throw GGUFError(.malformed, "\(path): tensor '\(tensor.name)' has \(tensor.rowCount) rows, row \(row) asked for")
        }
        let bytes = data(of: tensor)
        let start = row * tensor.rowBytes
        return try BlockCodec.dequantize(tensor.type, UnsafeRawBufferPointer(rebasing: bytes[start ..< start + tensor.rowBytes]),
                                         count: tensor.rowLength)
    }

    // MARK: typed metadata access with errors that name the key

    public func value(_ key: String) -> GGUFValue? { metadata[key] }

    public func int(_ key: String) throws(GGUFError) -> Int {
        guard let v = metadata[key] else { throw missing(key, "an integer") }
        guard let i = v.int else { throw wrongType(key, v, "an integer") }
        return i
    }

    public func double(_ key: String) throws(GGUFError) -> Double {
        guard let v = metadata[key] else { throw missing(key, "a number") }
        guard let d = v.double else { throw wrongType(key, v, "a number") }
        return d
    }

    public func string(_ key: String) throws(GGUFError) -> String {
        guard let v = metadata[key] else { throw missing(key, "a string") }
        guard let s = v.string else { throw wrongType(key, v, "a string") }
        return s
    }

    public func array(_ key: String) throws(GGUFError) -> GGUFArray {
        guard let v = metadata[key] else { throw missing(key, "an array") }
        guard let a = v.array else { throw wrongType(key, v, "an array") }
        return a
    }

    private func missing(_ key: String, _ expected: String) -> GGUFError {
        GGUFError(.missing, "\(path): metadata key '\(key)' (\(expected)) is missing")
    }

    private func wrongType(_ key: String, _ v: GGUFValue, _ expected: String) -> GGUFError {
        GGUFError(.malformed, "\(path): metadata key '\(key)' is \(v.typeName), expected \(expected)")
    }
}
