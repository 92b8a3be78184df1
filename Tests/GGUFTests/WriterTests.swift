import Foundation
import GGUF
import Testing

/// GGUFWriter → GGUFFile round trips.
@Suite struct WriterTests {
    /// One metadata entry of every value type, arrays of every element type, nested arrays.
    static let allValueTypes: [(String, GGUFValue)] = [
        ("general.architecture", .string("llama")),
        ("test.u8", .uint8(200)),
        ("test.i8", .int8(-100)),
        ("test.u16", .uint16(60000)),
        ("test.i16", .int16(-30000)),
        ("test.u32", .uint32(4_000_000_000)),
        ("test.i32", .int32(-2_000_000_000)),
        ("test.u64", .uint64(UInt64.max - 5)),
        ("test.i64", .int64(Int64.min + 7)),
        ("test.f32", .float32(3.14159)),
        ("test.f64", .float64(-2.718281828459045)),
        ("test.bool.true", .bool(true)),
        ("test.bool.false", .bool(false)),
        ("test.string", .string("héllo, wörld ✓ — \"quoted\"\nsecond line")),
        ("test.string.empty", .string("")),
        ("test.array.u8", .array(.integers([0, 1, 255], typeName: "u8"))),
        ("test.array.i8", .array(.integers([-128, 0, 127], typeName: "i8"))),
        ("test.array.u16", .array(.integers([0, 65535], typeName: "u16"))),
        ("test.array.i16", .array(.integers([-32768, 32767], typeName: "i16"))),
        ("test.array.u32", .array(.integers([0, 4_294_967_295], typeName: "u32"))),
        ("test.array.i32", .array(.integers([-2_147_483_648, 2_147_483_647], typeName: "i32"))),
        ("test.array.u64", .array(.integers([0, -1], typeName: "u64"))),  // -1 is the bit pattern of u64.max
        ("test.array.i64", .array(.integers([Int64.min, Int64.max], typeName: "i64"))),
        ("test.array.f32", .array(.floats([0.5, -1.25, 1e-3].map { Double(Float($0)) }, typeName: "f32"))),
        ("test.array.f64", .array(.floats([0.1, -1e300], typeName: "f64"))),
        ("test.array.bool", .array(.bools([true, false, true]))),
        ("test.array.string", .array(.strings(["a", "", "ünïcödé", String(repeating: "x", count: 1000)]))),
        ("test.array.empty", .array(.strings([]))),
        ("test.array.nested", .array(.arrays([
            .strings(["x", "y"]),
            .integers([1, 2, 3], typeName: "i32"),
            .arrays([.floats([1.5], typeName: "f64"), .bools([])]),
        ]))),
    ]

    @Test func metadataOfEveryTypeRoundTrips() throws {
        let writer = GGUFWriter(metadata: Self.allValueTypes)
        let file = try GGUFFile(bytes: try writer.serialized())
        #expect(file.version == 3)
        #expect(file.keys == Self.allValueTypes.map(\.0))
        for (key, value) in Self.allValueTypes {
            #expect(file.metadata[key] == value, "\(key)")
            #expect(file.metadata[key]?.typeName == value.typeName, "\(key)")
        }
        #expect(try file.string("general.architecture") == "llama")
        #expect(try file.int("test.i32") == -2_000_000_000)
        #expect(try file.double("test.f64") == -2.718281828459045)
        #expect(try file.array("test.array.string").count == 4)
        #expect(file.tensors.isEmpty)
    }

    @Test func tensorsOfSeveralTypesRoundTripWithNonDefaultAlignment() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var writer = GGUFWriter(metadata: [("general.architecture", .string("test"))], alignment: 64)
        let types: [GGMLType] = [.f32, .f16, .bf16, .q8_0, .q4_0, .q5_1, .q4_K, .q5_K, .q6_K]
        var expected: [String: [Float]] = [:]
        for (i, type) in types.enumerated() {
            let shape = [256, 3 + i]
            let values = Distribution.gaussian.sample(shape[0] * shape[1], seed: UInt64(i))
            let name = "blk.\(i).\(type.description.lowercased()).weight"
            try writer.addTensor(name: name, shape: shape, type: type, values: values)
            expected[name] = try BlockCodec.dequantize(type, BlockCodec.quantize(type, values), count: values.count)
        }
        let raw: [UInt8] = (0 ..< 90).map { UInt8($0) }  // 90 bytes: not a multiple of the alignment
        try writer.addTensor(name: "raw.bytes", type: .q8_0, shape: [32, 1], bytes: Array(raw[0 ..< 34]))
        try writer.addTensor(name: "tail", shape: [7], values: [1, 2, 3, 4, 5, 6, 7])

        let path = dir.appendingPathComponent("model.gguf").path
        try writer.write(to: path)
        // Atomic write leaves exactly the target file behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["model.gguf"])

        let file = try GGUFFile(path: path)
        #expect(file.alignment == 64)
        #expect(file.dataOffset % 64 == 0)
        #expect(file.tensors.count == types.count + 2)
        #expect(file.tensors.map(\.name) == writer.tensors.map(\.name))
        for t in file.tensors {
            #expect(t.fileOffset % 64 == 0, "\(t.name) at \(t.fileOffset)")
            if let values = expected[t.name] {
                #expect(try file.floats(of: t) == values, "\(t.name)")
            }
        }
        let rawInfo = try #require(file.tensor(named: "raw.bytes"))
        #expect(Array(file.data(of: rawInfo)) == Array(raw[0 ..< 34]))
        #expect(try file.floats(of: try #require(file.tensor(named: "tail"))) == [1, 2, 3, 4, 5, 6, 7])
        #expect(try file.int("general.alignment") == 64)
        // Serialized bytes and the written file agree.
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(try writer.serialized()))

        // Writing again replaces the file in place.
        var smaller = GGUFWriter()
        try smaller.addTensor(name: "only", shape: [4], values: [0, 1, 2, 3])
        try smaller.write(to: path)
        #expect(try GGUFFile(path: path).tensors.map(\.name) == ["only"])
    }

    @Test func defaultAlignmentIs32() throws {
        var writer = GGUFWriter()
        try writer.addTensor(name: "a", shape: [3], values: [1, 2, 3])
        try writer.addTensor(name: "b", shape: [32, 2], type: .q8_0, values: (0 ..< 64).map { Float($0) })
        let file = try GGUFFile(bytes: try writer.serialized())
        #expect(file.alignment == 32)
        #expect(file.tensors[1].fileOffset - file.tensors[0].fileOffset == 32)
        #expect(file.metadata["general.alignment"] == nil)
    }

    @Test func setReplacesInPlace() throws {
        var writer = GGUFWriter(metadata: [("a", .uint32(1)), ("b", .string("x"))])
        writer.set("a", .uint32(2))
        writer.set("c", .bool(true))
        let file = try GGUFFile(bytes: try writer.serialized())
        #expect(file.keys == ["a", "b", "c"])
        #expect(file.metadata["a"] == .uint32(2))
    }

    @Test func writerRejectsInvalidInput() throws {
        var writer = GGUFWriter()
        try writer.addTensor(name: "t", shape: [32], values: [Float](repeating: 0, count: 32))
        #expect(throws: GGUFError.self) { try writer.addTensor(name: "t", shape: [32], values: [Float](repeating: 0, count: 32)) }
        #expect(throws: GGUFError.self) { try writer.addTensor(name: "u", shape: [33], type: .q8_0, values: [Float](repeating: 0, count: 33)) }
        #expect(throws: GGUFError.self) { try writer.addTensor(name: "v", shape: [4, 4], values: [1, 2, 3]) }
        #expect(throws: GGUFError.self) { try writer.addTensor(name: "w", shape: [], values: []) }
        #expect(throws: GGUFError.self) { try writer.addTensor(name: "x", shape: [1, 1, 1, 1, 1], values: [1]) }
        #expect(throws: GGUFError.self) { try writer.addTensor(name: "y", type: .q4_0, shape: [32], bytes: [1, 2, 3]) }
        #expect(throws: GGUFError.self) { try writer.addTensor(name: "z", shape: [256], type: .q2_K, values: [Float](repeating: 0, count: 256)) }
        #expect(throws: GGUFError.self) { try GGUFWriter(metadata: [("general.alignment", .uint32(48))]).serialized() }
        #expect(throws: GGUFError.self) { try GGUFWriter(metadata: [("k", .uint8(1)), ("k", .uint8(2))]).serialized() }
        #expect(throws: GGUFError.self) { try GGUFWriter(metadata: [("k", .array(.integers([300], typeName: "u8")))]).serialized() }
        let e = #expect(throws: GGUFError.self) { try GGUFWriter().write(to: "/nonexistent-dir/x.gguf") }
        #expect(e?.code == .io)
    }
}
