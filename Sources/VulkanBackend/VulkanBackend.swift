import CVulkan
import Engine
import GGUF

#if canImport(Glibc)
import Glibc
#endif

/// `ComputeBackend` on a Vulkan device: weights in device-local buffers (uploaded once through
/// staging), an f16 KV cache per layer, activations allocated up front, and each forward step
/// recorded into one command buffer with barriers only where data flows.
public final class VulkanBackend: ComputeBackend {
    public let model: Model
    public let slotCount: Int
    public let contextLength: Int
    public let maxBatchTokens: Int
    public let device: VulkanDevice
    let kernels: Kernels
    let stream: CommandStream
    let weights: [String: VulkanBuffer]
    let kCache: [VulkanBuffer]
    let vCache: [VulkanBuffer]
    let activations: [VulkanBuffer]
    let scores: VulkanBuffer
    let logits: VulkanBuffer
    let readback: VulkanBuffer
    let tokens: VulkanBuffer
    let positions: VulkanBuffer
    let slots: VulkanBuffer
    /// cos/sin tables, one per `graph.ropeSpecs` entry.
    let ropeTables: [VulkanBuffer]
    let slotStride: Int
    let weightBytes: Int
    let started = monotonicSeconds()
    /// Forward steps run so far (fault injection counts them).
    private var steps = 0
    /// Set once the device is lost: every later step fails the same way, as a real lost device does.
    private var lost: VulkanError?

    public var description: String { "vulkan (\(device.info.name), \(device.info.kind.rawValue))" }

    public init(model: Model, device: VulkanDevice, slots: Int = 1, context: Int = 2048,
                maxBatchTokens: Int = 128) throws(EngineError) {
        guard slots >= 1, context >= 1, maxBatchTokens >= 1 else {
            throw EngineError(.invalidRequest, "slots, context and batch size must be positive")
        }
        self.model = model
        self.device = device
        slotCount = slots
        contextLength = context
        self.maxBatchTokens = maxBatchTokens
        let c = model.config
        slotStride = context * c.kvDim
        do {
            let types = Set(model.weights.all.map(\.type))
            kernels = try Kernels(device: device, types: types)
            stream = try CommandStream(device: device)
            var w: [String: VulkanBuffer] = [:]
            var total = 0
            let uploader = StagingUploader(device: device)
            for t in model.weights.all {
                let b = try VulkanBuffer(device: device, size: t.byteCount, kind: .deviceLocal)
                try uploader.upload(model.file.data(of: t), to: b)
                w[t.name] = b
                total += t.byteCount
            }
            weights = w
            weightBytes = total
            var ks: [VulkanBuffer] = [], vs: [VulkanBuffer] = []
            for _ in 0 ..< c.layerCount {
                ks.append(try VulkanBuffer(device: device, size: slots * slotStride * 2, kind: .deviceLocal))
                vs.append(try VulkanBuffer(device: device, size: slots * slotStride * 2, kind: .deviceLocal))
            }
            kCache = ks
            vCache = vs
            activations = try Activation.allCases.map { a throws(VulkanError) in
                try VulkanBuffer(device: device, size: maxBatchTokens * a.width(c) * 4, kind: .deviceLocal)
            }
            scores = try VulkanBuffer(device: device, size: maxBatchTokens * c.headCount * context * 4, kind: .deviceLocal)
            logits = try VulkanBuffer(device: device, size: maxBatchTokens * c.vocabularySize * 4, kind: .deviceLocal)
            readback = try VulkanBuffer(device: device, size: maxBatchTokens * c.vocabularySize * 4, kind: .hostVisible)
            tokens = try VulkanBuffer(device: device, size: maxBatchTokens * 4, kind: .hostVisible)
            positions = try VulkanBuffer(device: device, size: maxBatchTokens * 4, kind: .hostVisible)
            self.slots = try VulkanBuffer(device: device, size: maxBatchTokens * 4, kind: .hostVisible)
            ropeTables = try model.graph.ropeSpecs.map { _ throws(VulkanError) in
                try VulkanBuffer(device: device, size: maxBatchTokens * c.headDim * 4, kind: .hostVisible)
            }
        } catch {
            throw Self.engineError(error)
        }
    }

    public static func engineError(_ e: VulkanError) -> EngineError {
        switch e.code {
        case .noDevice: return EngineError(.noDevice, e.message)
        case .outOfDeviceMemory: return EngineError(.outOfMemory, e.message)
        case .deviceLost: return EngineError(.deviceLost, e.message)
        case .failed: return EngineError(.backend, e.message)
        }
    }

    func buffer(_ a: Activation) -> VulkanBuffer { activations[a.rawValue] }
    func weight(_ t: GGUFTensorInfo) -> VulkanBuffer { weights[t.name]! }

    public func forward(_ batch: Batch, logits out: UnsafeMutableBufferPointer<Float>) throws(EngineError) {
        try validate(batch)
        let n = batch.count
        guard n > 0 else { return }
        let vocab = model.config.vocabularySize
        guard out.count >= batch.logitRows.count * vocab else {
            throw EngineError(.invalidRequest, "logits buffer holds \(out.count) floats, needs \(batch.logitRows.count * vocab)")
        }
        do throws(VulkanError) {
            if let lost { throw lost }
            defer { steps += 1 }
            if case .deviceLost(let at) = FaultInjection.current, steps >= at {
                throw VulkanError.from(VK_ERROR_DEVICE_LOST, "vkQueueSubmit (injected fault at step \(at))")
            }
            try record(batch)
            try stream.submitAndWait()
        } catch {
            if error.code == .deviceLost { lost = error }
            throw Self.engineError(error)
        }
        let m = batch.logitRows.count
        if m > 0 {
            out.baseAddress!.update(from: readback.contents!.assumingMemoryBound(to: Float.self), count: m * vocab)
        }
    }

    /// Fill the host-visible inputs and record the whole step.
    func record(_ batch: Batch) throws(VulkanError) {
        let c = model.config
        let n = batch.count
        let tok = tokens.contents!.assumingMemoryBound(to: Int32.self)
        let pos = positions.contents!.assumingMemoryBound(to: Int32.self)
        let slt = slots.contents!.assumingMemoryBound(to: Int32.self)
        for i in 0 ..< n {
            tok[i] = batch.tokens[i]
            pos[i] = batch.positions[i]
            slt[i] = batch.slots[i]
        }
        for (spec, table) in zip(model.graph.ropeSpecs, ropeTables) {
            batch.positions.withUnsafeBufferPointer { p in
                spec.fill(table.contents!.assumingMemoryBound(to: Float.self), positions: p.baseAddress!, count: n,
                          headDim: c.headDim, context: contextLength)
            }
        }
        typealias B = CommandStream.Binding
        let k = kernels
        try stream.begin()
        for op in model.graph.ops {
            switch op {
            case .embed(let scale):
                let w = model.weights.tokenEmbedding
                try stream.dispatch(try k.getRows(w.type), [B(weight(w)), B(tokens), B(buffer(.residual))], writes: [2],
                                    pushConstants: [UInt32(c.hidden), UInt32(n), scale.bitPattern], groups: (UInt32(n), 1, 1))
            case .rmsNorm(let src, let w, let dst):
                try stream.rmsNorm(k, x: B(buffer(src)), weight: B(weight(w)), y: B(buffer(dst)), n: w.shape[0], rows: n,
                                   eps: c.normEpsilon)
            case .matmul(let w, let src, let dst):
                try stream.matmul(k, type: w.type, weight: B(weight(w)), x: B(buffer(src)), y: B(buffer(dst)),
                                  n: w.shape[0], rows: w.shape[1], ntok: n, xStride: src.width(c), yStride: dst.width(c))
            case .headNorm(let a, let w, let heads):
                try stream.rmsNorm(k, x: B(buffer(a)), weight: B(weight(w)), y: B(buffer(a)), n: c.headDim,
                                   rows: n * heads, eps: c.normEpsilon)
            case .rope(let a, let heads, let spec, let kind):
                let total = n * heads * c.headDim / 2
                try stream.dispatch(k.rope, [B(buffer(a)), B(ropeTables[spec])], writes: [0],
                                    pushConstants: [UInt32(n), UInt32(a.width(c)), UInt32(heads), UInt32(c.headDim),
                                                    kind == .neox ? 2 : 0],
                                    groups: CommandStream.grid(total))
            case .addBias(let a, let bias):
                try stream.elementwiseAddRows(k, a: B(buffer(a)), bias: B(weight(bias)), n: n * a.width(c), width: a.width(c))
            case .scale(let a, let factor):
                try stream.elementwiseScale(k, a: B(buffer(a)), n: n * a.width(c), scale: factor)
            case .storeKV(let layer):
                for (src, cache) in [(Activation.k, kCache[layer]), (.v, vCache[layer])] {
                    try stream.dispatch(k.storeKV, [B(buffer(src)), B(positions), B(slots), B(cache)], writes: [3],
                                        pushConstants: [UInt32(n), UInt32(c.kvDim), UInt32(slotStride)],
                                        groups: CommandStream.grid(n * c.kvDim))
                }
            case .attention(let layer, let window, let scale, let softcap):
                try stream.dispatch(k.attention,
                                    [B(buffer(.q)), B(kCache[layer]), B(vCache[layer]), B(positions), B(slots), B(scores),
                                     B(buffer(.attention))],
                                    writes: [5, 6],
                                    pushConstants: [UInt32(n), UInt32(c.headCount), UInt32(c.kvHeadCount), UInt32(c.headDim),
                                                    UInt32(slotStride), UInt32(contextLength), UInt32(window), scale.bitPattern,
                                                    softcap.bitPattern],
                                    groups: (UInt32(c.headCount), UInt32(n), 1))
            case .gatedActivation(let act):
                let count = n * c.ffnLength
                try stream.dispatch(k.glu, [B(buffer(.gate)), B(buffer(.up))], writes: [0],
                                    pushConstants: [UInt32(count), act == .silu ? 0 : 1], groups: CommandStream.grid(count))
            case .addResidual(let src):
                try stream.elementwiseAdd(k, a: B(buffer(.residual)), b: B(buffer(src)), n: n * c.hidden)
            }
        }
        let m = batch.logitRows.count
        if m > 0 {
            let rowBytes = c.hidden * 4
            for (i, row) in batch.logitRows.enumerated() {
                stream.copy(from: buffer(.residual), srcOffset: row * rowBytes, to: buffer(.normed), dstOffset: i * rowBytes,
                            size: rowBytes)
            }
            try stream.rmsNorm(k, x: B(buffer(.normed)), weight: B(weight(model.graph.outputNorm)), y: B(buffer(.projection)),
                               n: c.hidden, rows: m, eps: c.normEpsilon)
            let out = model.graph.output
            try stream.matmul(k, type: out.type, weight: B(weight(out)), x: B(buffer(.projection)), y: B(logits),
                              n: c.hidden, rows: c.vocabularySize, ntok: m, xStride: c.hidden, yStride: c.vocabularySize)
            if let cap = model.graph.finalSoftcap {
                try stream.elementwiseSoftcap(k, a: B(logits), n: m * c.vocabularySize, cap: cap)
            }
            stream.copy(from: logits, to: readback, size: m * c.vocabularySize * 4)
        }
    }

    /// The device's read bandwidth in bytes per second (0 where it cannot be timed).
    public func measureReadBandwidth() -> Double {
        (try? DeviceBandwidth.measure(device: device)) ?? 0
    }

    /// Device time by kernel since start, when `VKSERVE_PROFILE=1`.
    public var profile: [String: (seconds: Double, count: Int)] { stream.profile }

    public func memoryUsage() -> MemoryUsage {
        let c = model.config
        let kv = 2 * c.layerCount * slotCount * slotStride * 2
        // Budgets move with other processes' use of the device: read them now, not at start-up.
        let heaps = device.info.memoryBudgetExtension
            ? VulkanInstance.describe(device.physical, index: device.info.index).heaps : device.info.heaps
        let heap = heaps.first { $0.deviceLocal }
        var usage = MemoryUsage(weightBytes: weightBytes, kvCacheBytes: kv,
                                scratchBytes: Int(device.allocatedBytes) - weightBytes - kv,
                                deviceUsedBytes: heap?.usage.map { Int($0) } ?? Int(device.allocatedBytes),
                                deviceBudgetBytes: heap.map { Int($0.budget ?? $0.size) })
        // One dedicated allocation per buffer: reserved equals the sum of the live buffers' allocations.
        usage.reservedBytes = Int(device.allocatedBytes)
        usage.inUseBytes = Int(device.allocatedBytes)
        let wall = monotonicSeconds() - started
        if stream.queryPool != nil, wall > 0 { usage.deviceBusyFraction = min(1, stream.busySeconds / wall) }
        return usage
    }
}
