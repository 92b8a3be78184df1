import GGUF
import Testing

/// Integer arrays in metadata are held at the file's width: a crafted file cannot make the parser allocate
/// several times its own size.
@Suite struct NarrowArrayTests {
    /// A GGUF v3 file with no tensors and one metadata array of `count` elements of `elementType`, the elements
    /// given as raw little-endian bytes; padded to the default alignment of 32 unless `pad` is false.
    static func craftedFile(key: String, elementType: UInt32, count: Int, elementBytes: [UInt8],
                            pad: Bool = true) -> [UInt8] {
        var bytes: [UInt8] = Array("GGUF".utf8)
        bytes.appendLE(UInt32(3))  // version
        bytes.appendLE(UInt64(0))  // tensors
        bytes.appendLE(UInt64(1))  // metadata entries
        bytes.appendLE(UInt64(key.utf8.count))
        bytes += Array(key.utf8)
        bytes.appendLE(UInt32(9))  // array
        bytes.appendLE(elementType)
        bytes.appendLE(UInt64(count))
        bytes += elementBytes
        // The (empty) tensor data section starts at the next multiple of the alignment.
        while pad && bytes.count % 32 != 0 { bytes.append(0) }
        return bytes
    }

    @Test("a 4 MiB u8 array parses into a [UInt8] of 4 MiB with the right values")
    func bigByteArray() throws {
        let n = 4 << 20
        let payload = (0 ..< n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let bytes = Self.craftedFile(key: "crafted.bytes", elementType: 0, count: n, elementBytes: payload)
        let file = try GGUFFile(bytes: bytes)
        let array = try #require(file.metadata["crafted.bytes"]?.array)
        // The representation: one byte per element, not an Int64.
        guard case .narrowIntegers(.u8(let held)) = array else {
            Issue.record("a u8 array is held as \(array.elementTypeName), not as bytes")
            return
        }
        #expect(held.count == n && held.capacity < n + 4096, "holds \(held.capacity) bytes for \(n) elements")
        #expect(held == payload)
        #expect(array.count == n && array.elementTypeName == "u8")
        #expect(file.metadata["crafted.bytes"]?.typeName == "array[u8]")
        // Readers that want plain integers still get them.
        #expect(Array(try #require(array.integers).prefix(3)) == [7, 38, 69])
    }

    @Test("i8, u16, i16, u32 and i32 arrays keep their width and their signed values")
    func everyNarrowWidth() throws {
        let cases: [(UInt32, [UInt8], GGUFIntegerArray)] = [
            (1, [0x80, 0xFF, 0x7F], .i8([-128, -1, 127])),
            (2, [0xFF, 0xFF, 0x01, 0x00], .u16([65535, 1])),
            (3, [0x00, 0x80, 0xFE, 0xFF], .i16([-32768, -2])),
            (4, [0xFF, 0xFF, 0xFF, 0xFF], .u32([4_294_967_295])),
            (5, [0x00, 0x00, 0x00, 0x80, 0x05, 0x00, 0x00, 0x00], .i32([-2_147_483_648, 5])),
        ]
        for (type, payload, expected) in cases {
            let bytes = Self.craftedFile(key: "k", elementType: type, count: expected.count, elementBytes: payload)
            let array = try #require(try GGUFFile(bytes: bytes).metadata["k"]?.array)
            #expect(array == .narrowIntegers(expected), "element type \(type)")
            #expect(array.integers == expected.widened)
        }
    }

    @Test("a count larger than the file is refused before anything is allocated")
    func forgedCount() {
        let bytes = Self.craftedFile(key: "k", elementType: 0, count: 1 << 40, elementBytes: [1, 2, 3],
                                     pad: false)
        #expect(throws: GGUFError.self) { try GGUFFile(bytes: bytes) }
        let wide = Self.craftedFile(key: "k", elementType: 5, count: 2, elementBytes: [1, 2, 3, 4, 5], pad: false)
        #expect(throws: GGUFError.self) { try GGUFFile(bytes: wide) }
    }

    @Test("narrow arrays round-trip through GGUFWriter byte for byte, and equal their widened form")
    func writerRoundTrip() throws {
        let metadata: [(String, GGUFValue)] = [
            ("a.u8", .array(.narrowIntegers(.u8([0, 1, 255])))),
            ("a.i16", .array(.narrowIntegers(.i16([-5, 7])))),
            ("a.nested", .array(.arrays([.narrowIntegers(.i8([-1])), .narrowIntegers(.u32([9]))]))),
        ]
        let bytes = try GGUFWriter(metadata: metadata).serialized()
        let file = try GGUFFile(bytes: bytes)
        for (key, value) in metadata { #expect(file.metadata[key] == value, "\(key)") }
        #expect(try GGUFWriter(metadata: metadata.map { ($0.0, file.metadata[$0.0]!) }).serialized() == bytes)
        #expect(file.metadata["a.u8"] == .array(.integers([0, 1, 255], typeName: "u8")))
        #expect(file.metadata["a.u8"] != .array(.integers([0, 1, 255], typeName: "i32")))
        #expect(file.metadata["a.u8"] != .array(.integers([0, 1, 254], typeName: "u8")))
    }
}
