/// A bounds-checked little-endian cursor over a mapped file. Every read that would pass the end
/// throws `truncated` naming the offset and what was being read, so corrupt files never trap.
struct ByteReader {
    let base: UnsafeRawPointer
    let count: Int
    let fileName: String
    private(set) var offset: Int = 0

    init(base: UnsafeRawPointer, count: Int, fileName: String) {
        self.base = base
        self.count = count
        self.fileName = fileName
    }

    private mutating func need(_ n: Int, _ what: @autoclosure () -> String) throws(GGUFError) {
        guard n >= 0, n <= count - offset else {
            throw GGUFError(.truncated,
                            "\(fileName): truncated at byte \(offset) while reading \(what()) "
                                + "(needs \(n) bytes, \(count - offset) left)")
        }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws(GGUFError) -> T {
        try need(MemoryLayout<T>.size, what())
        let v = T(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += MemoryLayout<T>.size
        return v
    }

    /// `n` consecutive little-endian integers, in an array of exactly `n` elements.
    mutating func readIntegers<T: FixedWidthInteger>(_: T.Type, count n: Int, _ what: @autoclosure () -> String)
        throws(GGUFError) -> [T]
    {
        let size = MemoryLayout<T>.size
        guard n >= 0, n <= (count - offset) / size else {
            throw GGUFError(.truncated, "\(fileName): truncated at byte \(offset) while reading \(n) elements of "
                                + "\(what()) (needs \(n) × \(size) bytes, \(count - offset) left)")
        }
        let start = offset
        let values = [T](unsafeUninitializedCapacity: n) { buffer, initialized in
            for i in 0 ..< n {
                buffer[i] = T(littleEndian: base.loadUnaligned(fromByteOffset: start + i * size, as: T.self))
            }
            initialized = n
        }
        offset += n * size
        return values
    }

    mutating func readFloat(_ what: @autoclosure () -> String) throws(GGUFError) -> Float {
        Float(bitPattern: try read(UInt32.self, what()))
    }

    mutating func readDouble(_ what: @autoclosure () -> String) throws(GGUFError) -> Double {
        Double(bitPattern: try read(UInt64.self, what()))
    }

    /// A count that must fit in what is left of the file at `minBytesEach` bytes per element.
    mutating func readCount(_ what: @autoclosure () -> String, minBytesEach: Int) throws(GGUFError) -> Int {
        let at = offset
        let raw = try read(UInt64.self, what())
        let left = UInt64(count - offset)
        guard raw <= left / UInt64(max(minBytesEach, 1)) else {
            // The file ends before what the count declares: a cut-off download or a forged count.
            throw GGUFError(.truncated, "\(fileName): truncated or corrupt: \(what()) at byte \(at) is \(raw), "
                                + "more than the \(left) bytes left in the file can hold")
        }
        return Int(raw)
    }

    mutating func readString(_ what: @autoclosure () -> String) throws(GGUFError) -> String {
        let at = offset
        let n = try readCount("length of \(what())", minBytesEach: 1)
        try need(n, what())
        let bytes = UnsafeRawBufferPointer(start: base + offset, count: n)
        offset += n
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw GGUFError(.malformed, "\(fileName): \(what()) at byte \(at) is not valid UTF-8")
        }
        return s
    }

    mutating func align(to alignment: Int) {
        let rem = offset % alignment
        if rem != 0 { offset += alignment - rem }
    }
}
