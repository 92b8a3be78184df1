import CKernels
import Engine
import GGUF

#if canImport(Glibc)
import Glibc
#endif

/// `ComputeBackend` on CPU threads: weights read in place from the file mapping, an f16 KV
/// cache per layer and slot, activations quantized to ggml's dot-product types for the
/// C kernels' integer dot products.
public final class CPUBackend: ComputeBackend {
    public let model: Model
    public let slotCount: Int
    public let contextLength: Int
    public let maxBatchTokens: Int
    public let threadCount: Int

    private let pool: OpaquePointer
    private let config: ModelConfig
    private let kCache: [UnsafeMutablePointer<UInt16>]
    private let vCache: [UnsafeMutablePointer<UInt16>]
    private let slotStride: Int
    private var activations: [UnsafeMutablePointer<Float>]
    private let quantScratch: UnsafeMutableRawPointer
    private let quantScratchBytes: Int
    private let attentionScratch: UnsafeMutablePointer<Float>
    private let attentionScratchCount: Int
    private let positions: UnsafeMutablePointer<Int32>
    private let slotIDs: UnsafeMutablePointer<Int32>
    private let tokens: UnsafeMutablePointer<Int32>
    private let base: UnsafeRawPointer

    private var profile = StepProfile()
    /// RoPE cos/sin tables of the current step, one per `graph.ropeSpecs` entry (local and global
    /// layers differ), built on first use in the step.
    private var ropeTables: [UnsafeMutablePointer<Float>] = []
    private var ropeTableBuilt: [Bool] = []
    public var forwardProfile: StepProfile? { profile }

    public var description: String { "cpu (\(String(cString: ck_isa_name())), \(threadCount) threads)" }

    /// - Parameters:
    ///   - slots: sequences that can be in flight at once (KV-cache slots).
    ///   - context: positions per slot.
    ///   - threads: compute threads (the calling thread is one of them); 0 means one per core.
    ///   - maxBatchTokens: the largest step; longer prefills are split by the caller.
    public init(model: Model, slots: Int = 1, context: Int = 2048, threads: Int = 0, maxBatchTokens: Int = 256) throws(EngineError) {
        guard slots >= 1, context >= 1, maxBatchTokens >= 1 else {
            throw EngineError(.invalidRequest, "slots, context and batch size must be positive")
        }
        self.model = model
        config = model.config
        slotCount = slots
        contextLength = context
        self.maxBatchTokens = maxBatchTokens
        let n = threads > 0 ? threads : max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        threadCount = n
        pool = ck_pool_create(Int32(n))
        base = UnsafeRawPointer(model.file.bytes.baseAddress!)

        let c = model.config
        slotStride = context * c.kvDim
        let perLayer = slots * slotStride
        var ks: [UnsafeMutablePointer<UInt16>] = []
        var vs: [UnsafeMutablePointer<UInt16>] = []
        for _ in 0 ..< c.layerCount {
            ks.append(.allocate(capacity: perLayer))
            vs.append(.allocate(capacity: perLayer))
        }
        kCache = ks
        vCache = vs
        activations = Activation.allCases.map { .allocate(capacity: maxBatchTokens * $0.width(c)) }
        let widest = Activation.allCases.map { $0.width(c) }.max()!
        var rowBytes = 0
        for t in [CK_Q8_0, CK_Q8_1, CK_Q8_K, CK_F16, CK_F32] {
            rowBytes = max(rowBytes, Int(ck_row_size(Int32(t), Int64(widest))))
        }
        quantScratchBytes = maxBatchTokens * rowBytes
        quantScratch = .allocate(byteCount: quantScratchBytes, alignment: 64)
        attentionScratchCount = Int(ck_attention_scratch_floats(pool, Int64(context), Int32(c.headDim)))
        attentionScratch = .allocate(capacity: attentionScratchCount)
        positions = .allocate(capacity: maxBatchTokens)
        slotIDs = .allocate(capacity: maxBatchTokens)
        tokens = .allocate(capacity: maxBatchTokens)
    }

    deinit {
        ck_pool_destroy(pool)
        kCache.forEach { $0.deallocate() }
        vCache.forEach { $0.deallocate() }
        activations.forEach { $0.deallocate() }
        quantScratch.deallocate()
        attentionScratch.deallocate()
        positions.deallocate()
        slotIDs.deallocate()
        tokens.deallocate()
        ropeTables.forEach { $0.deallocate() }
    }

    private func buffer(_ a: Activation) -> UnsafeMutablePointer<Float> { activations[a.rawValue] }
    private func weight(_ t: GGUFTensorInfo) -> UnsafeRawPointer { base + t.fileOffset }
    private func floats(_ t: GGUFTensorInfo) -> UnsafePointer<Float> {
        weight(t).assumingMemoryBound(to: Float.self)
    }

    public func forward(_ batch: Batch, logits: UnsafeMutableBufferPointer<Float>) throws(EngineError) {
        try validate(batch)
        let c = config
        let n = batch.count
        guard n > 0 else { return }
        guard logits.count >= batch.logitRows.count * c.vocabularySize else {
            throw EngineError(.invalidRequest, "logits buffer holds \(logits.count) floats, needs \(batch.logitRows.count * c.vocabularySize)")
        }
        for i in 0 ..< n {
            tokens[i] = batch.tokens[i]
            positions[i] = batch.positions[i]
            slotIDs[i] = batch.slots[i]
        }
        let eps = c.normEpsilon
        // Which activation the quantization scratch holds, and in which dot type: matmuls that
        // share an input (q/k/v, gate/up) convert it once.
        var quantized: (Activation, Int32)?
        var clock = monotonicSeconds()
        func lap(_ phase: StepProfile.Phase) {
            let now = monotonicSeconds()
            profile[phase] += now - clock
            clock = now
        }
        profile.steps += 1
        profile.tokens += UInt64(n)
        if ropeTables.count < model.graph.ropeSpecs.count {
            for _ in ropeTables.count ..< model.graph.ropeSpecs.count {
                ropeTables.append(.allocate(capacity: maxBatchTokens * c.headDim))
            }
        }
        ropeTableBuilt = [Bool](repeating: false, count: model.graph.ropeSpecs.count)

        for op in model.graph.ops {
            switch op {
            case .embed(let scale):
                let w = model.weights.tokenEmbedding
                ck_get_rows(Int32(w.type.rawValue), weight(w), Int64(c.hidden), tokens, Int64(n), buffer(.residual))
                if scale != 1 { ck_scale(buffer(.residual), Int64(n * c.hidden), scale) }
                quantized = nil
                lap(.embed)
            case .rmsNorm(let src, let w, let dst):
                ck_rms_norm(buffer(src), floats(w), buffer(dst), Int64(w.shape[0]), Int64(n), eps)
                if quantized?.0 == dst { quantized = nil }
                lap(.norm)
            case .matmul(let w, let src, let dst):
                let type = Int32(w.type.rawValue)
                let dotType = ck_vec_dot_type(type)
                if let q = quantized, q.0 == src, q.1 == dotType {
                    ck_matmul_q(pool, type, weight(w), Int64(w.shape[0]), Int64(w.shape[1]), quantScratch, Int64(n),
                                buffer(dst), Int64(dst.width(c)))
                } else {
                    ck_matmul(pool, type, weight(w), Int64(w.shape[0]), Int64(w.shape[1]), buffer(src), Int64(src.width(c)),
                              Int64(n), quantScratch, buffer(dst), Int64(dst.width(c)))
                    quantized = (src, dotType)
                }
                if dst == src { quantized = nil }
                lap(.matmul)
            case .headNorm(let a, let w, let heads):
                ck_rms_norm(buffer(a), floats(w), buffer(a), Int64(c.headDim), Int64(n * heads), eps)
                if quantized?.0 == a { quantized = nil }
                lap(.norm)
            case .rope(let a, let heads, let spec, let kind):
                // The cos/sin table depends on the positions and the spec only: one per spec a step.
                if !ropeTableBuilt[spec] {
                    model.graph.ropeSpecs[spec].fill(ropeTables[spec], positions: positions, count: n, headDim: c.headDim,
                                                     context: contextLength)
                    ropeTableBuilt[spec] = true
                }
                ck_rope_apply(buffer(a), Int64(n), Int64(a.width(c)), Int32(heads), Int32(c.headDim), ropeTables[spec],
                              kind == .neox ? Int32(CK_ROPE_NEOX) : Int32(CK_ROPE_NORMAL))
                if quantized?.0 == a { quantized = nil }
                lap(.rope)
            case .addBias(let a, let bias):
                ck_add_rows(buffer(a), Int64(n), Int64(a.width(c)), floats(bias))
                if quantized?.0 == a { quantized = nil }
                lap(.elementwise)
            case .scale(let a, let factor):
                ck_scale(buffer(a), Int64(n * a.width(c)), factor)
                if quantized?.0 == a { quantized = nil }
                lap(.elementwise)
            case .storeKV(let layer):
                ck_store_kv(buffer(.k), Int64(n), Int64(c.kvDim), kCache[layer], Int64(slotStride), slotIDs, positions)
                ck_store_kv(buffer(.v), Int64(n), Int64(c.kvDim), vCache[layer], Int64(slotStride), slotIDs, positions)
                lap(.kvStore)
            case .attention(let layer, let window, let scale, let softcap):
                ck_attention(pool, buffer(.q), Int64(n), Int32(c.headCount), Int32(c.kvHeadCount), Int32(c.headDim),
                             kCache[layer], vCache[layer], Int64(slotStride), slotIDs, positions, Int32(window), scale, softcap,
                             attentionScratch, buffer(.attention))
                if quantized?.0 == .attention { quantized = nil }
                lap(.attention)
            case .gatedActivation(let act):
                let count = Int64(n * c.ffnLength)
                switch act {
                case .silu: ck_swiglu(buffer(.gate), buffer(.up), buffer(.gate), count)
                case .geluTanh: ck_geglu(buffer(.gate), buffer(.up), buffer(.gate), count)
                }
                if quantized?.0 == .gate { quantized = nil }
                lap(.elementwise)
            case .addResidual(let src):
                ck_add(buffer(.residual), buffer(src), buffer(.residual), Int64(n * c.hidden))
                if quantized?.0 == .residual { quantized = nil }
                lap(.elementwise)
            }
        }

        // Logits for the requested rows only: gather, normalise, project.
        let m = batch.logitRows.count
        guard m > 0 else { return }
        let residual = buffer(.residual), normed = buffer(.normed)
        for (i, row) in batch.logitRows.enumerated() {
            (normed + i * c.hidden).update(from: residual + row * c.hidden, count: c.hidden)
        }
        ck_rms_norm(normed, floats(model.graph.outputNorm), normed, Int64(c.hidden), Int64(m), eps)
        let out = model.graph.output
        ck_matmul(pool, Int32(out.type.rawValue), weight(out), Int64(c.hidden), Int64(c.vocabularySize), normed,
                  Int64(c.hidden), Int64(m), quantScratch, logits.baseAddress!, Int64(c.vocabularySize))
        if let cap = model.graph.finalSoftcap { ck_softcap(logits.baseAddress!, Int64(m * c.vocabularySize), cap) }
        lap(.logits)
    }

    public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        guard count > 1 else {
            if count == 1 { body(0) }
            return
        }
        withoutActuallyEscaping(body) { escapable in
            var closure = escapable
            withUnsafeMutablePointer(to: &closure) { context in
                ck_pool_for(pool, Int64(count), { ctx, i in
                    ctx!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(Int(i))
                }, context)
            }
        }
    }

    /// Read bandwidth of this machine with the backend's threads, in bytes per second: the bound
    /// that memory-bound decode is judged against.
    public func measureReadBandwidth(bytes: Int = 1 << 29, repetitions: Int = 4) -> Double {
        ck_read_bandwidth(pool, Int64(bytes), Int32(repetitions))
    }

    public func memoryUsage() -> MemoryUsage {
        let c = config
        let weights = model.weights.all.reduce(0) { $0 + $1.byteCount }
        let kv = 2 * c.layerCount * slotCount * slotStride * 2
        let scratch = Activation.allCases.reduce(0) { $0 + maxBatchTokens * $1.width(c) * 4 }
            + quantScratchBytes + attentionScratchCount * 4
        return MemoryUsage(weightBytes: weights, kvCacheBytes: kv, scratchBytes: scratch,
                           deviceUsedBytes: Self.residentBytes(), deviceBudgetBytes: nil)
    }

    /// Resident set size of this process, from /proc/self/statm.
    public static func residentBytes() -> Int? {
        let fd = open("/proc/self/statm", O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 128)
        let n = read(fd, &buf, buf.count)
        guard n > 0 else { return nil }
        let fields = String(decoding: buf[..<n], as: UTF8.self).split(separator: " ")
        guard fields.count > 1, let resident = Int(fields[1]) else { return nil }
        return resident * sysconf(Int32(_SC_PAGESIZE))
    }
}
