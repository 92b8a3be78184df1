import Foundation

/// The file `llama-perplexity --save-all-logits FILE` (alias `--kl-divergence-base`) writes: the
/// evaluated tokens and, for each chunk, the log-probabilities of the positions it scores (the
/// second half of the chunk but the last), each row quantized to 16 bits.
///
/// Layout (little-endian): `_logits_`; u32 n_ctx; i32 n_vocab; i32 n_chunk; i32 tokens[n_ctx·n_chunk];
/// then n_chunk · (n_ctx − 1 − n_ctx/2) rows of nv = 2·⌈n_vocab/2⌉ + 4 u16: two f32 (scale,
/// min_log_prob) and one u16 q per token, log p = scale · q + min_log_prob.
public struct LlamaLogitsFile: Sendable {
    public let path: String
    public let context: Int
    public let vocabularySize: Int
    public let chunks: Int
    public let tokens: [Int32]
    private let data: Data
    private let rowsStart: Int

    /// u16 values per stored row.
    public var rowStride: Int { 2 * ((vocabularySize + 1) / 2) + 4 }
    /// Scored rows per chunk: positions n_ctx/2 ..< n_ctx − 1.
    public var rowsPerChunk: Int { context - 1 - context / 2 }

    public init(path: String) throws(EngineError) {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw EngineError(.invalidRequest, "cannot read \(path): \(error.localizedDescription)")
        }
        guard data.count >= 20, data.prefix(8).elementsEqual("_logits_".utf8) else {
            throw EngineError(.invalidRequest, "\(path) is not a llama-perplexity logits file (no _logits_ header)")
        }
        func i32(_ at: Int) -> Int { Int(Int32(bitPattern: data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt32.self) })) }
        let context = i32(8), vocab = i32(12), chunks = i32(16)
        guard (4 ... 1 << 20).contains(context), (1 ... 1 << 22).contains(vocab), (1 ... 1 << 20).contains(chunks) else {
            throw EngineError(.invalidRequest, "\(path): implausible header (context \(context), vocabulary \(vocab), chunks \(chunks))")
        }
        let tokenCount = context * chunks
        let rowsStart = 20 + 4 * tokenCount
        let rows = chunks * (context - 1 - context / 2)
        let expected = rowsStart + rows * (2 * ((vocab + 1) / 2) + 4) * 2
        guard data.count == expected else {
            throw EngineError(.invalidRequest, "\(path): \(data.count) bytes, but a file of \(chunks) chunks of \(context) "
                + "tokens over \(vocab) tokens has \(expected) (truncated or not from llama-perplexity --save-all-logits)")
        }
        let tokens: [Int32] = data.withUnsafeBytes { raw in
            (0 ..< tokenCount).map { Int32(bitPattern: raw.loadUnaligned(fromByteOffset: 20 + 4 * $0, as: UInt32.self)) }
        }
        guard tokens.allSatisfy({ $0 >= 0 && Int($0) < vocab }) else {
            throw EngineError(.invalidRequest, "\(path): a token id is outside the vocabulary of \(vocab)")
        }
        self.path = path
        self.context = context
        vocabularySize = vocab
        self.chunks = chunks
        self.tokens = tokens
        self.data = data
        self.rowsStart = rowsStart
    }

    /// Calls `body` with row `row` of chunk `chunk`: its scale, min_log_prob and quantized values.
    public func withRow<R>(chunk: Int, row: Int, _ body: (Float, Float, UnsafeBufferPointer<UInt16>) -> R) -> R {
        precondition(chunk < chunks && row < rowsPerChunk)
        let offset = rowsStart + (chunk * rowsPerChunk + row) * rowStride * 2
        return data.withUnsafeBytes { raw in
            let scale = Float(bitPattern: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            let minLogProb = Float(bitPattern: raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))
            let values = UnsafeRawBufferPointer(rebasing: raw[(offset + 8) ..< (offset + 8 + 2 * vocabularySize)])
            return values.withMemoryRebound(to: UInt16.self) { body(scale, minLogProb, $0) }
        }
    }

    /// A row of logits quantized as llama-perplexity stores it (for writing such files in tests).
    public static func quantizedRow(_ logits: UnsafeBufferPointer<Float>) -> [UInt16] {
        var mx = logits[0], mn = logits[0]
        for v in logits { mx = max(mx, v); mn = min(mn, v) }
        mn = max(mn, mx - 16)
        var sum = 0.0
        for v in logits { sum += Double(expf(v - mx)) }
        let lse = Float(log(sum))
        let minLogProb = mn - mx - lse
        let scale = (mx - mn) / 65535
        var out = [UInt16](repeating: 0, count: 2 * ((logits.count + 1) / 2) + 4)
        out[0] = UInt16(scale.bitPattern & 0xFFFF)
        out[1] = UInt16(scale.bitPattern >> 16)
        out[2] = UInt16(minLogProb.bitPattern & 0xFFFF)
        out[3] = UInt16(minLogProb.bitPattern >> 16)
        if scale > 0 {
            let inv = 1 / scale
            for (i, v) in logits.enumerated() where v > mn {
                out[4 + i] = UInt16(clamping: Int((inv * (v - mn)).rounded(.toNearestOrEven)))
            }
        }
        return out
    }

    /// Writes a file in llama-perplexity's layout; `rows` holds each stored row from `quantizedRow`.
    public static func write(to path: String, context: Int, vocabularySize: Int, tokens: [Int32], rows: [[UInt16]]) throws {
        var data = Data("_logits_".utf8)
        func append<T>(_ v: T) { withUnsafeBytes(of: v) { data.append(contentsOf: $0) } }
        append(UInt32(context).littleEndian)
        append(Int32(vocabularySize).littleEndian)
        append(Int32(tokens.count / context).littleEndian)
        for t in tokens { append(t.littleEndian) }
        for row in rows { row.withUnsafeBytes { data.append(contentsOf: $0) } }
        try data.write(to: URL(fileURLWithPath: path))
    }
}
