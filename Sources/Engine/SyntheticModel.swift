import GGUF

/// A llama-architecture GGUF file with random weights of a chosen shape and block type: what a
/// speed measurement of a 7B-class model needs where no such model can be downloaded. The
/// tokenizer is copied from a real model file, so the synthetic model loads like any other.
public struct SyntheticModel: Sendable {
    public var hidden: Int
    public var layers: Int
    public var ffn: Int
    public var heads: Int
    public var kvHeads: Int
    public var matrixType: GGMLType
    public var seed: UInt64

    public init(hidden: Int, layers: Int, ffn: Int, heads: Int, kvHeads: Int, matrixType: GGMLType, seed: UInt64) {
        self.hidden = hidden
        self.layers = layers
        self.ffn = ffn
        self.heads = heads
        self.kvHeads = kvHeads
        self.matrixType = matrixType
        self.seed = seed
    }

    public static let supportedTypes: [GGMLType] = [.q4_K, .q6_K, .q8_0, .q4_0, .f16]

    /// Write the file (atomically) with the tokenizer of `tokenizerSource`, or without one a
    /// SentencePiece vocabulary of 32000 tokens (byte fallback and fillers); returns the weight bytes.
    @discardableResult
    public func write(to path: String, tokenizerSource: GGUFFile? = nil) throws(EngineError) -> Int {
        guard Self.supportedTypes.contains(matrixType) else {
            throw EngineError(.invalidRequest, "synthetic weights of type \(matrixType) are not supported (supported: \(Self.supportedTypes.map { "\($0)" }.joined(separator: ", ")))")
        }
        guard hidden > 0, layers > 0, ffn > 0, heads > 0, kvHeads > 0, hidden % heads == 0, heads % kvHeads == 0,
              hidden % matrixType.blockSize == 0, ffn % matrixType.blockSize == 0 else {
            throw EngineError(.invalidRequest, "implausible shape: hidden \(hidden), ffn \(ffn), heads \(heads)/\(kvHeads) (hidden and ffn must be multiples of \(matrixType.blockSize) for \(matrixType))")
        }
        let tokenizer: [(String, GGUFValue)]
        let vocabularySize: Int
        if let tokenizerSource {
            (tokenizer, vocabularySize) = try Self.tokenizerKeys(of: tokenizerSource)
        } else {
            tokenizer = Self.syntheticTokenizer(size: 32000)
            vocabularySize = 32000
        }
        let headDim = hidden / heads, kvDim = kvHeads * headDim
        var writer = GGUFWriter(metadata: [
            ("general.architecture", .string("llama")),
            ("general.name", .string("synthetic llama \(layers)x\(hidden) \(matrixType)")),
            ("llama.context_length", .uint32(4096)),
            ("llama.embedding_length", .uint32(UInt32(hidden))),
            ("llama.block_count", .uint32(UInt32(layers))),
            ("llama.feed_forward_length", .uint32(UInt32(ffn))),
            ("llama.attention.head_count", .uint32(UInt32(heads))),
            ("llama.attention.head_count_kv", .uint32(UInt32(kvHeads))),
            ("llama.attention.layer_norm_rms_epsilon", .float32(1e-5)),
            ("llama.rope.freq_base", .float32(10000)),
        ])
        for (key, value) in tokenizer { writer.set(key, value) }
        var rng = SeededGenerator(seed: seed)
        var bytes = 0
        func matrix(_ name: String, _ cols: Int, _ rows: Int) throws(GGUFError) {
            let data = randomBlocks(cols * rows, &rng)
            bytes += data.count
            try writer.addTensor(name: name, type: matrixType, shape: [cols, rows], bytes: data)
        }
        func norm(_ name: String) throws(GGUFError) {
            try writer.addTensor(name: name, shape: [hidden], values: [Float](repeating: 1, count: hidden))
        }
        do {
            try matrix("token_embd.weight", hidden, vocabularySize)
            for i in 0 ..< layers {
                let b = "blk.\(i)."
                try norm(b + "attn_norm.weight")
                try matrix(b + "attn_q.weight", hidden, hidden)
                try matrix(b + "attn_k.weight", hidden, kvDim)
                try matrix(b + "attn_v.weight", hidden, kvDim)
                try matrix(b + "attn_output.weight", hidden, hidden)
                try norm(b + "ffn_norm.weight")
                try matrix(b + "ffn_gate.weight", hidden, ffn)
                try matrix(b + "ffn_up.weight", hidden, ffn)
                try matrix(b + "ffn_down.weight", ffn, hidden)
            }
            try norm("output_norm.weight")
            try matrix("output.weight", hidden, vocabularySize)
            try writer.write(to: path)
        } catch {
            throw EngineError(.invalidRequest, "cannot write synthetic model: \(error)")
        }
        return bytes
    }

    /// Every `tokenizer.*` key of `file`, to copy into a synthetic model, and its vocabulary size.
    static func tokenizerKeys(of file: GGUFFile) throws(EngineError) -> ([(String, GGUFValue)], Int) {
        guard case .array(let tokens)? = file.metadata["tokenizer.ggml.tokens"], tokens.count > 0 else {
            throw EngineError(.unsupportedModel, "\(file.path) has no tokenizer.ggml.tokens to copy")
        }
        return (file.keys.filter { $0.hasPrefix("tokenizer.") }.map { ($0, file.metadata[$0]!) }, tokens.count)
    }

    /// A SentencePiece vocabulary: <unk>, <s>, </s>, the 256 byte tokens, then filler pieces.
    static func syntheticTokenizer(size: Int) -> [(String, GGUFValue)] {
        var tokens = ["<unk>", "<s>", "</s>"], types: [Int64] = [2, 3, 3]
        for b in 0 ..< 256 {
            let hex = String(b, radix: 16, uppercase: true)
            tokens.append("<0x" + (hex.count == 1 ? "0" + hex : hex) + ">")
            types.append(6)
        }
        while tokens.count < size {
            tokens.append("\u{2581}piece\(tokens.count)")
            types.append(1)
        }
        return [
            ("tokenizer.ggml.model", .string("llama")),
            ("tokenizer.ggml.tokens", .array(.strings(tokens))),
            ("tokenizer.ggml.scores", .array(.floats(tokens.indices.map { -Double($0) }, typeName: "f32"))),
            ("tokenizer.ggml.token_type", .array(.integers(types, typeName: "i32"))),
            ("tokenizer.ggml.unknown_token_id", .uint32(0)),
            ("tokenizer.ggml.bos_token_id", .uint32(1)),
            ("tokenizer.ggml.eos_token_id", .uint32(2)),
        ]
    }

    /// Random blocks whose scale fields hold small finite halves (so products stay finite).
    func randomBlocks(_ elements: Int, _ rng: inout SeededGenerator) -> [UInt8] {
        let t = matrixType
        let count = elements / t.blockSize * t.blockBytes
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { raw in
            let words = raw.count / 8
            let p = raw.baseAddress!
            for i in 0 ..< words { p.storeBytes(of: rng.next(), toByteOffset: i * 8, as: UInt64.self) }
            for i in words * 8 ..< raw.count { raw[i] = UInt8(truncatingIfNeeded: rng.next()) }
            func half(_ offset: Int, _ scale: Float) {
                let h = HalfPrecision.half(from: scale * Float(rng.next() % 1024 + 1) / 1024)
                raw[offset] = UInt8(h & 255)
                raw[offset + 1] = UInt8(h >> 8)
            }
            let blocks = raw.count / t.blockBytes
            for b in 0 ..< blocks {
                let o = b * t.blockBytes
                switch t {
                case .q4_K:
                    half(o, 0.004)
                    half(o + 2, 0.002)
                case .q6_K: half(o + 208, 0.002)
                case .q8_0, .q4_0: half(o, 0.002)
                case .f16: half(o, 0.05)
                default: break
                }
            }
        }
        return out
    }
}
