import GGUF

/// Every pipeline a forward step needs, built once per process for one device.
public final class Kernels: @unchecked Sendable {
    public static let matrixTypes: [GGMLType] = [.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K]

    /// Weight rows each matmul workgroup computes.
    public static let rowsPerWorkgroup = 4

    public let rmsNorm: ComputePipeline
    public let rope: ComputePipeline
    public let storeKV: ComputePipeline
    public let attention: ComputePipeline
    public let glu: ComputePipeline
    public let elementwise: ComputePipeline
    private let matmuls: [GGMLType: ComputePipeline]
    private let tiledMatmuls: [GGMLType: ComputePipeline]
    /// From this many tokens on, matrix products use the tiled matrix-matrix kernel.
    public static let tiledFromTokens = 16
    private let getRows: [GGMLType: ComputePipeline]

    public init(device: VulkanDevice, types: Set<GGMLType> = Set(Kernels.matrixTypes)) throws(VulkanError) {
        rmsNorm = try ComputePipeline(device: device, module: SPIRVModules.rms_norm, bindings: 3, pushConstantBytes: 20,
                                      specialization: [128])
        rope = try ComputePipeline(device: device, module: SPIRVModules.rope, bindings: 2, pushConstantBytes: 20)
        storeKV = try ComputePipeline(device: device, module: SPIRVModules.store_kv, bindings: 4, pushConstantBytes: 12)
        attention = try ComputePipeline(device: device, module: SPIRVModules.attention, bindings: 7, pushConstantBytes: 36,
                                        specialization: [64])
        glu = try ComputePipeline(device: device, module: SPIRVModules.glu, bindings: 2, pushConstantBytes: 8)
        elementwise = try ComputePipeline(device: device, module: SPIRVModules.elementwise, bindings: 2, pushConstantBytes: 16)
        // Reductions use subgroup operations where the device has them: a workgroup of one
        // subgroup needs no barriers (which are costly everywhere, and very costly on lavapipe).
        let subgroup = device.info.subgroupArithmetic && (4 ... 128).contains(device.info.subgroupSize)
        let reduceWidth = subgroup ? device.info.subgroupSize : 64
        var mm: [GGMLType: ComputePipeline] = [:]
        var gr: [GGMLType: ComputePipeline] = [:]
        var tm: [GGMLType: ComputePipeline] = [:]
        for t in types where Kernels.matrixTypes.contains(t) {
            mm[t] = try ComputePipeline(device: device, module: SPIRVModules.matmul, bindings: 3, pushConstantBytes: 28,
                                        specialization: [reduceWidth, t.rawValue, subgroup ? 1 : 0, UInt32(Kernels.rowsPerWorkgroup)])
            tm[t] = try ComputePipeline(device: device, module: SPIRVModules.mul_mm, bindings: 3, pushConstantBytes: 28,
                                        specialization: [t.rawValue])
            gr[t] = try ComputePipeline(device: device, module: SPIRVModules.get_rows, bindings: 3, pushConstantBytes: 12,
                                        specialization: [64, t.rawValue])
        }
        matmuls = mm
        tiledMatmuls = tm
        getRows = gr
    }

    public func matmul(_ type: GGMLType) throws(VulkanError) -> ComputePipeline {
        guard let p = matmuls[type] else { throw VulkanError(.failed, "no matrix kernel for \(type)") }
        return p
    }

    public func tiledMatmul(_ type: GGMLType) throws(VulkanError) -> ComputePipeline {
        guard let p = tiledMatmuls[type] else { throw VulkanError(.failed, "no matrix kernel for \(type)") }
        return p
    }

    public func getRows(_ type: GGMLType) throws(VulkanError) -> ComputePipeline {
        guard let p = getRows[type] else { throw VulkanError(.failed, "no embedding kernel for \(type)") }
        return p
    }
}

/// Dispatch helpers shared by the backend and the kernel tests.
extension CommandStream {
    public typealias B = CommandStream.Binding

    /// y[t] = W · x[t] for `ntok` tokens.
    public func matmul(_ k: Kernels, type: GGMLType, weight: B, x: B, y: B, n: Int, rows: Int, ntok: Int,
                       xStride: Int, yStride: Int) throws(VulkanError) {
        let pc: [UInt32] = [UInt32(n), UInt32(rows), UInt32(ntok), UInt32(xStride), UInt32(yStride), 0, 0]
        if ntok >= Kernels.tiledFromTokens {
            try dispatch(try k.tiledMatmul(type), [weight, x, y], writes: [2], pushConstants: pc,
                         groups: (UInt32((rows + 31) / 32), UInt32((ntok + 31) / 32), 1), label: "mul_mm.\(type)")
            return
        }
        let groups = (rows + Kernels.rowsPerWorkgroup - 1) / Kernels.rowsPerWorkgroup
        let gx = min(groups, 4096), gy = (groups + gx - 1) / gx, gz = (ntok + 7) / 8
        try dispatch(try k.matmul(type), [weight, x, y], writes: [2],
                     pushConstants: [UInt32(n), UInt32(rows), UInt32(ntok), UInt32(xStride), UInt32(yStride), 0, 0],
                     groups: (UInt32(gx), UInt32(gy), UInt32(gz)), label: "matmul.\(type)")
    }

    public func rmsNorm(_ k: Kernels, x: B, weight: B, y: B, n: Int, rows: Int, eps: Float) throws(VulkanError) {
        try dispatch(k.rmsNorm, [x, weight, y], writes: [2],
                     pushConstants: [UInt32(n), UInt32(rows), eps.bitPattern, 0, 0], groups: (UInt32(rows), 1, 1))
    }

    /// A 1-D element grid of `n` invocations in workgroups of 64, folded into 2-D past the dispatch limit.
    static func grid(_ n: Int) -> (UInt32, UInt32, UInt32) {
        let groups = (n + 63) / 64
        let gx = min(groups, 65535)
        return (UInt32(gx), UInt32((groups + gx - 1) / gx), 1)
    }

    public func elementwiseAdd(_ k: Kernels, a: B, b: B, n: Int) throws(VulkanError) {
        try dispatch(k.elementwise, [a, b], writes: [0], pushConstants: [UInt32(n), 0, 0, 1], groups: Self.grid(n))
    }

    public func elementwiseScale(_ k: Kernels, a: B, n: Int, scale: Float) throws(VulkanError) {
        try dispatch(k.elementwise, [a, a], writes: [0], pushConstants: [UInt32(n), 1, scale.bitPattern, 1], groups: Self.grid(n))
    }

    /// Each of the `n / width` rows of `a` += `bias` (width floats).
    public func elementwiseAddRows(_ k: Kernels, a: B, bias: B, n: Int, width: Int) throws(VulkanError) {
        try dispatch(k.elementwise, [a, bias], writes: [0], pushConstants: [UInt32(n), 2, 0, UInt32(width)],
                     groups: Self.grid(n))
    }

    /// a = tanh(a / cap) * cap over n values.
    public func elementwiseSoftcap(_ k: Kernels, a: B, n: Int, cap: Float) throws(VulkanError) {
        try dispatch(k.elementwise, [a, a], writes: [0], pushConstants: [UInt32(n), 3, cap.bitPattern, 1], groups: Self.grid(n))
    }
}
