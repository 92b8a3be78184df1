import Foundation
import GGUF
import Testing

/// Dequantization and inspection of the real models in `<root>/models/`.
@Suite(.serialized) struct RealModelTests {
    /// Dequantizes every tensor in chunks of rows and checks the values are finite and of
    /// plausible size; returns the types seen.
    private func checkAllTensors(_ file: GGUFFile) throws -> Set<GGMLType> {
        var seen = Set<GGMLType>()
        var buffer = [Float](repeating: 0, count: 1 << 20)
        for t in file.tensors {
            seen.insert(t.type)
            let bytes = file.data(of: t)
            let rowsPerChunk = max(1, buffer.count / t.rowLength)
            var maxAbs: Float = 0
            var sumSquares = 0.0
            var finite = true
            var row = 0
            while row < t.rowCount {
                let rows = min(rowsPerChunk, t.rowCount - row)
                let n = rows * t.rowLength
                let chunk = UnsafeRawBufferPointer(rebasing: bytes[row * t.rowBytes ..< (row + rows) * t.rowBytes])
                try buffer.withUnsafeMutableBufferPointer { try BlockCodec.dequantize(t.type, chunk, count: n, into: $0) }
                for v in buffer[0 ..< n] {
                    if !v.isFinite { finite = false }
                    maxAbs = max(maxAbs, abs(v))
                    sumSquares += Double(v) * Double(v)
                }
                row += rows
            }
            let rms = (sumSquares / Double(t.elementCount)).squareRoot()
            #expect(finite, "\(t.name) (\(t.type)) has non-finite values")
            // Weight matrices are small numbers; F32 norm weights can be large (gemma3's post-norms reach ~1700).
            let (maxBound, rmsBound): (Float, Double) = t.type == .f32 ? (1e4, 1e3) : (100, 10)
            #expect(maxAbs < maxBound, "\(t.name) (\(t.type)) max |v| \(maxAbs)")
            #expect(rms > 1e-4 && rms < rmsBound, "\(t.name) (\(t.type)) RMS \(rms)")
        }
        return seen
    }

    @Test func smolLM2TensorsDequantizeSanely() throws {
        guard let path = modelPath(smolLM2) else { return }
        let file = try GGUFFile(path: path)
        let types = try checkAllTensors(file)
        #expect(types == [.q4_1, .q8_0, .f32])
    }

    @Test func gemma3TensorsDequantizeSanely() throws {
        guard let path = modelPath(gemma3) else { return }
        let file = try GGUFFile(path: path)
        let types = try checkAllTensors(file)
        #expect(types == [.q5_0, .q4_K, .q6_K, .q8_0, .f32])
    }

    /// Q8_0 rows of the token embeddings decoded by a decoder written here from the format
    /// description (f16 scale, 32 signed bytes) must agree exactly with `BlockCodec`.
    @Test(arguments: [smolLM2, gemma3])
    func tokenEmbeddingQ8_0RowsMatchHandDecoder(model: String) throws {
        guard let path = modelPath(model) else { return }
        let file = try GGUFFile(path: path)
        let t = try #require(file.tensor(named: "token_embd.weight"))
        #expect(t.type == .q8_0)
        let bytes = file.data(of: t)
        for row in [0, 1, 2, 100, 1000, t.rowCount / 2, t.rowCount - 1] {
            let fromCodec = try file.floats(of: t, row: row)
            var byHand: [Float] = []
            let base = row * t.rowBytes
            for block in 0 ..< t.rowLength / 32 {
                let at = base + block * 34
                let d = halfToFloat(UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8)
                for j in 0 ..< 32 { byHand.append(Float(Int8(bitPattern: bytes[at + 2 + j])) * d) }
            }
            #expect(fromCodec.map(\.bitPattern) == byHand.map(\.bitPattern), "\(model) row \(row)")
        }
        #expect(throws: GGUFError.self) { try file.floats(of: t, row: t.rowCount) }
    }

    @Test func inspectorRendersSmolLM2() throws {
        guard let path = modelPath(smolLM2) else { return }
        let file = try GGUFFile(path: path)
        let text = GGUFInspector.render(file)
        for needle in ["llama.block_count", "general.architecture", "\"llama\"", "tokenizer.ggml.tokens", "array[string]",
                       "49152 total", "token_embd.weight", "blk.0.attn_q.weight", "Q4_1", "Q8_0", "F32", "576 x 49152",
                       "parameters:", "alignment:"] {
            #expect(text.contains(needle), "render lacks \(needle)")
        }
        // Every tensor is listed, and no line is unreasonably long (long strings and arrays are cut).
        for t in file.tensors { #expect(text.contains(t.name)) }
        let longest = text.split(separator: "\n").map(\.count).max() ?? 0
        #expect(longest < 400, "longest line \(longest)")
        #expect(text.contains("block_count") && text.contains("30"))
    }

    @Test func inspectorRendersGemma3AsTextAndJSON() throws {
        guard let path = modelPath(gemma3) else { return }
        let file = try GGUFFile(path: path)
        let text = GGUFInspector.render(file)
        for needle in ["gemma3.block_count", "gemma3.attention.sliding_window", "Q4_K", "Q6_K", "Q5_0", "token_embd.weight"] {
            #expect(text.contains(needle), "render lacks \(needle)")
        }
        let json = try GGUFInspector.json(file)
        let decoded = try JSONDecoder().decode(GGUFInspection.self, from: Data(json.utf8))
        #expect(decoded.tensorCount == file.tensors.count)
        #expect(decoded.tensors.map(\.name) == file.tensors.map(\.name))
        #expect(decoded.metadata.map(\.key) == file.keys)
        #expect(decoded.parameterCount == file.tensors.reduce(0) { $0 + $1.elementCount })
        let blocks = try #require(decoded.metadata.first { $0.key == "gemma3.block_count" })
        #expect(blocks.value == .int(18))
        let tokens = try #require(decoded.metadata.first { $0.key == "tokenizer.ggml.tokens" })
        #expect(tokens.count == 262_144 && tokens.truncated == true && tokens.head?.count == GGUFInspector.arrayPreview)
        #expect(decoded.bytesByType.reduce(0) { $0 + $1.bytes } == file.tensors.reduce(0) { $0 + $1.byteCount })
    }
}
