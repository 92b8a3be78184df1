import CKernels
import Foundation
import GGUF
import TestHarness
import Testing
import VulkanBackend

@Suite("Vulkan matrix kernels against the CPU reference", .serialized)
struct VulkanMatmulTests {
    static let types: [GGMLType] = [.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K]

    @Test("matmul equals the dequantized float product, every block type, 1 to 45 tokens (vector and tiled kernels)", arguments: types)
    func matmul(type: GGMLType) throws {
        let device = try TestDevice.require()
        let kernels = try Kernels(device: device, types: [type])
        var rng = SplitMix64(seed: UInt64(type.rawValue) + 11)
        let n = 512, rows = 37
        let w = rng.floats(n * rows, scale: 0.5)
        let wq = try BlockCodec.quantize(type, w)
        let wd = try BlockCodec.dequantize(type, wq, count: w.count)
        let bw = try VulkanBuffer(device: device, size: wq.count, kind: .deviceLocal)
        try wq.withUnsafeBytes { try device.upload($0, to: bw) }
        for ntok in [1, 3, 8, 19, 45] {
            let x = rng.floats(n * ntok, scale: 2)
            let bx = try VulkanBuffer(device: device, size: x.count * 4, kind: .deviceLocal)
            let by = try VulkanBuffer(device: device, size: rows * ntok * 4, kind: .deviceLocal)
            try device.upload(x, to: bx)
            let stream = try CommandStream(device: device)
            try stream.begin()
            try stream.matmul(kernels, type: type, weight: .init(bw), x: .init(bx), y: .init(by), n: n, rows: rows,
                              ntok: ntok, xStride: n, yStride: rows)
            try stream.submitAndWait()
            let got = try device.downloadFloats(by, count: rows * ntok)
            var want = [Float](repeating: 0, count: rows * ntok)
            for t in 0 ..< ntok {
                for r in 0 ..< rows {
                    var s = 0.0
                    for k in 0 ..< n { s += Double(wd[r * n + k]) * Double(x[t * n + k]) }
                    want[t * rows + r] = Float(s)
                }
            }
            #expect(maxRelativeError(got, want) < 2e-5, "\(type) ntok \(ntok)")
        }
    }

    @Test("timing probe", .enabled(if: ProcessInfo.processInfo.environment["VK_BENCH"] != nil))
    func timing() throws {
        let device = try TestDevice.require()
        let kernels = try Kernels(device: device, types: [.q8_0, .q4_1])
        var rng = SplitMix64(seed: 3)
        for (type, n, rows) in [(GGMLType.q8_0, 576, 49152), (.q4_1, 576, 1536)] {
            let wq = try BlockCodec.quantize(type, rng.floats(n * rows))
            let bw = try VulkanBuffer(device: device, size: wq.count, kind: .deviceLocal)
            try wq.withUnsafeBytes { try device.upload($0, to: bw) }
            let bx = try VulkanBuffer(device: device, size: n * 4 * 64, kind: .deviceLocal)
            let by = try VulkanBuffer(device: device, size: rows * 4 * 64, kind: .deviceLocal)
            let stream = try CommandStream(device: device)
            for ntok in [1, 8, 64] {
                let t0 = Date()
                try stream.begin()
                try stream.matmul(kernels, type: type, weight: .init(bw), x: .init(bx), y: .init(by), n: n, rows: rows,
                                  ntok: ntok, xStride: n, yStride: rows)
                try stream.submitAndWait()
                print("\(type) \(rows)x\(n) ntok \(ntok): \(Date().timeIntervalSince(t0) * 1000) ms")
            }
        }
    }
}
