import Foundation
import GGUF
import TestHarness
import Testing

/// Truncated, corrupt and random files must give a GGUFError naming the problem, never a crash.
@Suite struct RobustnessTests {
    /// A small file with metadata of every type and tensors of several types.
    static func sampleFile() throws -> [UInt8] {
        var writer = GGUFWriter(metadata: WriterTests.allValueTypes)
        try writer.addTensor(name: "token_embd.weight", shape: [64, 8], type: .q8_0, values: Distribution.gaussian.sample(512, seed: 1))
        try writer.addTensor(name: "blk.0.ffn_up.weight", shape: [256, 2], type: .q4_K, values: Distribution.gaussian.sample(512, seed: 2))
        try writer.addTensor(name: "blk.0.ffn_down.weight", shape: [256, 2], type: .q6_K, values: Distribution.gaussian.sample(512, seed: 3))
        try writer.addTensor(name: "output_norm.weight", shape: [64], values: [Float](repeating: 1, count: 64))
        return try writer.serialized()
    }

    /// Parses `bytes`; if that works, also decodes and renders everything, which must not crash either.
    @discardableResult
    static func parseAndUse(_ bytes: [UInt8]) -> Result<GGUFFile, GGUFError> {
        do {
            let file = try GGUFFile(bytes: bytes)
            for t in file.tensors where BlockCodec.supports(t.type) {
                _ = try? file.floats(of: t)
            }
            _ = GGUFInspector.render(file)
            _ = try? GGUFInspector.json(file)
            return .success(file)
        } catch {
            return .failure(error)
        }
    }

    private static func expectTruncationError(_ error: GGUFError, at n: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(error.code == .truncated || error.code == .tensorOutOfBounds, "cut at \(n): \(error.code) \(error.message)",
                sourceLocation: sourceLocation)
        #expect(error.message.contains("truncated") || error.message.contains("too short"), "cut at \(n): \(error.message)",
                sourceLocation: sourceLocation)
    }

    @Test func everyTruncationOfAWrittenFileThrows() throws {
        let bytes = try Self.sampleFile()
        let full = try GGUFFile(bytes: bytes)
        let lastEnd = full.tensors.map { $0.fileOffset + $0.byteCount }.max()!
        for n in 0 ..< lastEnd {
            switch Self.parseAndUse(Array(bytes[0 ..< n])) {
            case .success:
                Issue.record("a file cut at \(n) of \(bytes.count) bytes parsed")
            case .failure(let error):
                Self.expectTruncationError(error, at: n)
            }
        }
        // Cuts inside the final padding leave every tensor whole.
        for n in lastEnd ... bytes.count {
            #expect(throws: Never.self) { try GGUFFile(bytes: Array(bytes[0 ..< n])) }
        }
    }

    /// llama.cpp's vocabulary-only files (models/ggml-vocab-*.gguf) have no tensors and end right after
    /// their metadata: an empty data section needs no padding. A cut inside the metadata still throws.
    @Test func aFileWithoutTensorsNeedsNoPadding() throws {
        let bare = NarrowArrayTests.craftedFile(key: "k", elementType: 0, count: 3, elementBytes: [1, 2, 3], pad: false)
        let padded = NarrowArrayTests.craftedFile(key: "k", elementType: 0, count: 3, elementBytes: [1, 2, 3])
        #expect(bare.count % 32 != 0 && padded.count > bare.count, "the bare file must lack padding")
        for n in bare.count ... padded.count {
            let file = try GGUFFile(bytes: Array(padded[0 ..< n]))
            #expect(file.tensors.isEmpty, "cut at \(n)")
            #expect(file.metadata["k"]?.array?.integers == [1, 2, 3], "cut at \(n)")
        }
        for n in 0 ..< bare.count {
            switch Self.parseAndUse(Array(padded[0 ..< n])) {
            case .success: Issue.record("a file cut inside its metadata at \(n) of \(bare.count) bytes parsed")
            case .failure(let error): Self.expectTruncationError(error, at: n)
            }
        }
    }

    @Test func truncatedFilesOnDiskThrow() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bytes = try Self.sampleFile()
        let path = dir.appendingPathComponent("cut.gguf").path
        for n in stride(from: 0, to: bytes.count - 64, by: 97) {
            try Data(bytes[0 ..< n]).write(to: URL(fileURLWithPath: path))
            let error = #expect(throws: GGUFError.self) { try GGUFFile(path: path) }
            if let error {
                Self.expectTruncationError(error, at: n)
                #expect(error.message.contains(path))
            }
        }
        let missing = #expect(throws: GGUFError.self) { try GGUFFile(path: dir.appendingPathComponent("absent.gguf").path) }
        #expect(missing?.code == .io)
        let directory = #expect(throws: GGUFError.self) { try GGUFFile(path: dir.path) }
        #expect(directory?.code == .io)
    }

    /// The first 2 MB of SmolLM2 (its whole header and the start of the data), cut at every offset
    /// of the first 4 KiB and at a few hundred offsets spread over the rest.
    @Test func truncatedSmolLM2PrefixThrows() throws {
        guard let model = modelPath(smolLM2) else { return }
        let handle = try #require(FileHandle(forReadingAtPath: model))
        let prefix = [UInt8](try #require(try handle.read(upToCount: 2 << 20)))
        try handle.close()
        #expect(prefix.count == 2 << 20)

        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("smol-prefix.gguf").path
        try Data(prefix).write(to: URL(fileURLWithPath: path))
        let whole = #expect(throws: GGUFError.self) { try GGUFFile(path: path) }
        #expect(whole?.code == .tensorOutOfBounds)
        #expect(whole?.message.contains("token_embd.weight") == true || whole?.message.contains("truncated") == true)

        var offsets = Array(0 ..< 4096)
        var rng = SplitMix64(seed: 2024)
        for _ in 0 ..< 300 { offsets.append(Int.random(in: 4096 ..< prefix.count, using: &rng)) }
        for n in offsets {
            switch Self.parseAndUse(Array(prefix[0 ..< n])) {
            case .success: Issue.record("SmolLM2 cut at \(n) parsed")
            case .failure(let error): Self.expectTruncationError(error, at: n)
            }
        }
        // A few of them through the file path too.
        for n in offsets.suffix(12) {
            try Data(prefix[0 ..< n]).write(to: URL(fileURLWithPath: path))
            let error = #expect(throws: GGUFError.self) { try GGUFFile(path: path) }
            if let error { Self.expectTruncationError(error, at: n) }
        }
    }

    @Test func singleByteCorruptionsOfTheHeaderNeverCrash() throws {
        let bytes = try Self.sampleFile()
        let header = try GGUFFile(bytes: bytes).dataOffset
        var rng = SplitMix64(seed: 5)
        var failures = 0
        for position in 0 ..< header {
            for _ in 0 ..< 3 {
                var corrupt = bytes
                corrupt[position] = UInt8.random(in: 0 ... 255, using: &rng)
                if case .failure(let error) = Self.parseAndUse(corrupt) {
                    failures += 1
                    #expect(!error.message.isEmpty)
                }
            }
        }
        #expect(failures > 0)
    }

    @Test func corruptionsOfSmolLM2HeaderNeverCrash() throws {
        guard let model = modelPath(smolLM2) else { return }
        let handle = try #require(FileHandle(forReadingAtPath: model))
        let prefix = [UInt8](try #require(try handle.read(upToCount: 2 << 20)))
        try handle.close()
        var rng = SplitMix64(seed: 6)
        // Bytes of the fixed header and the first entries, then spread over the rest of the header.
        var positions = Array(0 ..< 512)
        for _ in 0 ..< 200 { positions.append(Int.random(in: 512 ..< 1_500_000, using: &rng)) }
        for position in positions {
            var corrupt = prefix
            corrupt[position] ^= UInt8.random(in: 1 ... 255, using: &rng)
            if case .success = Self.parseAndUse(corrupt) {
                Issue.record("a 2 MB prefix parsed after corrupting byte \(position)")
            }
        }
    }

    @Test func randomBytesNeverCrash() {
        var rng = SplitMix64(seed: 11)
        for i in 0 ..< 2000 {
            let n = Int.random(in: 0 ..< 400, using: &rng)
            var bytes = (0 ..< n).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }
            // Half of them start like a real header so parsing gets past the magic.
            if i % 2 == 0 && n >= 8 {
                bytes.replaceSubrange(0 ..< 8, with: [0x47, 0x47, 0x55, 0x46, 3, 0, 0, 0])
                if n >= 24 && i % 4 == 0 {
                    // Small counts so entries are actually read.
                    bytes.replaceSubrange(8 ..< 24, with: [UInt8(n % 3), 0, 0, 0, 0, 0, 0, 0, UInt8(n % 5), 0, 0, 0, 0, 0, 0, 0])
                }
            }
            Self.parseAndUse(bytes)
        }
    }

    @Test func forgedCountsAndFieldsGiveNamedErrors() throws {
        func header(tensors: UInt64, kvs: UInt64) -> [UInt8] {
            var b: [UInt8] = [0x47, 0x47, 0x55, 0x46]
            b.appendLE(UInt32(3))
            b.appendLE(tensors)
            b.appendLE(kvs)
            return b
        }
        func check(_ bytes: [UInt8], _ code: GGUFError.Code, _ needle: String, sourceLocation: SourceLocation = #_sourceLocation) {
            let e = #expect(throws: GGUFError.self, sourceLocation: sourceLocation) { try GGUFFile(bytes: bytes) }
            #expect(e?.code == code, "\(e?.message ?? "")", sourceLocation: sourceLocation)
            #expect(e?.message.contains(needle) == true, "\(e?.message ?? "") lacks \(needle)", sourceLocation: sourceLocation)
        }
        check([0x47, 0x47, 0x55, 0x47] + [UInt8](repeating: 0, count: 20), .badMagic, "not a GGUF file")
        var v1 = header(tensors: 0, kvs: 0)
        v1[4] = 1
        check(v1, .unsupportedVersion, "version 1")
        check(header(tensors: UInt64.max, kvs: 0), .truncated, "tensor count")
        check(header(tensors: 0, kvs: 1 << 62), .truncated, "metadata count")

        // A string whose length runs past the end.
        var longKey = header(tensors: 0, kvs: 1)
        longKey.appendLE(UInt64(1 << 40))
        longKey += [UInt8](repeating: 0, count: 16)
        check(longKey, .truncated, "length of key of metadata entry 0")

        // An array claiming 2^60 u32 elements.
        var bigArray = header(tensors: 0, kvs: 1)
        bigArray.appendLE(UInt64(1)); bigArray.append(0x61)
        bigArray.appendLE(UInt32(9)); bigArray.appendLE(UInt32(4)); bigArray.appendLE(UInt64(1) << 60)
        check(bigArray, .truncated, "length of array 'a'")

        // Arrays nested deeper than the limit.
        var deep = header(tensors: 0, kvs: 1)
        deep.appendLE(UInt64(1)); deep.append(0x64)
        deep.appendLE(UInt32(9))
        for _ in 0 ..< 6 { deep.appendLE(UInt32(9)); deep.appendLE(UInt64(1)) }
        deep += [UInt8](repeating: 0, count: 64)
        check(deep, .malformed, "nests arrays deeper")

        // An unknown value type, a bad bool, invalid UTF-8.
        var unknown = header(tensors: 0, kvs: 1)
        unknown.appendLE(UInt64(1)); unknown.append(0x75); unknown.appendLE(UInt32(99)); unknown += [0, 0, 0, 0]
        check(unknown, .malformed, "unknown value type 99")
        var badBool = header(tensors: 0, kvs: 1)
        badBool.appendLE(UInt64(1)); badBool.append(0x62); badBool.appendLE(UInt32(7)); badBool.append(2)
        check(badBool + [0, 0, 0], .malformed, "bool 'b' holds 2")
        var badUTF8 = header(tensors: 0, kvs: 1)
        badUTF8.appendLE(UInt64(2)); badUTF8 += [0xff, 0xfe]; badUTF8.appendLE(UInt32(0)); badUTF8.append(0)
        check(badUTF8 + [0, 0, 0], .malformed, "not valid UTF-8")

        // Tensor descriptors: bad dimension count, zero dimension, unknown type, misaligned offset.
        func tensor(dims: [UInt64], type: UInt32, offset: UInt64) -> [UInt8] {
            var b = header(tensors: 1, kvs: 0)
            b.appendLE(UInt64(1)); b.append(0x74)
            b.appendLE(UInt32(dims.count))
            for d in dims { b.appendLE(d) }
            b.appendLE(type)
            b.appendLE(offset)
            return b + [UInt8](repeating: 0, count: 256)
        }
        check(tensor(dims: [1, 1, 1, 1, 1], type: 0, offset: 0), .malformed, "5 dimensions")
        check(tensor(dims: [4, 0], type: 0, offset: 0), .malformed, "dimension 1 is 0")
        check(tensor(dims: [1 << 30, 1 << 30], type: 0, offset: 0), .malformed, "too many elements")
        check(tensor(dims: [4], type: 77, offset: 0), .unsupportedType, "ggml type 77")
        check(tensor(dims: [4], type: 0, offset: 3), .malformed, "not aligned")
        check(tensor(dims: [33], type: 8, offset: 0), .malformed, "not a multiple of the Q8_0 block size")
        check(tensor(dims: [1024], type: 0, offset: 0), .tensorOutOfBounds, "truncated")
        check(tensor(dims: [4], type: 0, offset: 1 << 40), .tensorOutOfBounds, "truncated")
        check(tensor(dims: [4], type: 0, offset: UInt64.max - 31), .malformed, "impossibly large")

        // Two tensors sharing bytes.
        var overlap = GGUFWriter()
        try overlap.addTensor(name: "a", shape: [16], values: [Float](repeating: 1, count: 16))
        try overlap.addTensor(name: "b", shape: [16], values: [Float](repeating: 2, count: 16))
        var bytes = try overlap.serialized()
        let file = try GGUFFile(bytes: bytes)
        // Point b's data offset (the last 8 bytes of its descriptor) at a's data.
        let bDescriptorEnd = try #require((0 ..< bytes.count - 8).first { i in
            bytes[i] == 0x62 && bytes[i - 8] == 1 && i < file.dataOffset
        }) + 1 + 4 + 8 + 4
        bytes.replaceSubrange(bDescriptorEnd ..< bDescriptorEnd + 8, with: [UInt8](repeating: 0, count: 8))
        check(bytes, .tensorOutOfBounds, "overlaps")

        // Alignment that is not a power of two, or not an integer.
        check(try GGUFWriterBypass.file(metadata: [("general.alignment", .uint32(24))]), .malformed, "power of two")
        check(try GGUFWriterBypass.file(metadata: [("general.alignment", .bool(true))]), .malformed, "power of two")
    }
}

/// Builds headers the writer refuses to produce (invalid alignment) by patching a valid one.
enum GGUFWriterBypass {
    static func file(metadata: [(String, GGUFValue)]) throws -> [UInt8] {
        // Write with a placeholder value of the same encoded size, then patch the payload.
        var placeholder = metadata
        for i in placeholder.indices where placeholder[i].0 == "general.alignment" {
            switch placeholder[i].1 {
            case .uint32: placeholder[i].1 = .uint32(32)
            default: placeholder[i].1 = .uint8(32)
            }
        }
        var bytes = try GGUFWriter(metadata: placeholder).serialized()
        let key = Array("general.alignment".utf8)
        let at = try #require((0 ..< bytes.count - key.count).first { Array(bytes[$0 ..< $0 + key.count]) == key })
        let typeAt = at + key.count
        for (k, v) in metadata where k == "general.alignment" {
            switch v {
            case .uint32(let x): withUnsafeBytes(of: x.littleEndian) { bytes.replaceSubrange(typeAt + 4 ..< typeAt + 8, with: $0) }
            case .bool(let b): bytes[typeAt] = 7; bytes[typeAt + 4] = b ? 1 : 0
            default: break
            }
        }
        return bytes
    }
}
