import CKernels
import TestHarness
import Testing
import VulkanBackend

@Suite("Vulkan devices and kernels on lavapipe", .serialized)
struct DeviceTests {
    @Test("the instance lists a usable device with memory heaps and a subgroup size")
    func listing() throws {
        let instance = try VulkanInstance()
        #expect(!instance.devices.isEmpty)
        let d = try instance.choose()
        #expect(d.unusableReason == nil)
        #expect(!d.heaps.isEmpty)
        #expect(d.subgroupSize > 0)
        #expect(d.storage16Bit && d.storage8Bit)
    }

    @Test("asking for a device that does not exist is a noDevice error")
    func missingDevice() throws {
        let instance = try VulkanInstance()
        #expect(throws: VulkanError.self) { try instance.choose(requested: 99) }
        do { _ = try instance.choose(requested: 99) } catch { #expect(error.code == .noDevice) }
    }

    @Test("RMSNorm on the device matches the CPU kernel")
    func rmsNorm() throws {
        let device = try TestDevice.require()
        var rng = SplitMix64(seed: 7)
        let n = 576, rows = 5
        let x = rng.floats(n * rows, scale: 3), w = rng.floats(n)
        let pipeline = try ComputePipeline(device: device, module: SPIRVModules.rms_norm, bindings: 3,
                                           pushConstantBytes: 20, specialization: [128])
        let bx = try VulkanBuffer(device: device, size: x.count * 4, kind: .deviceLocal)
        let bw = try VulkanBuffer(device: device, size: w.count * 4, kind: .deviceLocal)
        let by = try VulkanBuffer(device: device, size: x.count * 4, kind: .deviceLocal)
        try device.upload(x, to: bx)
        try device.upload(w, to: bw)
        let stream = try CommandStream(device: device)
        try stream.begin()
        try stream.dispatch(pipeline, [.init(bx), .init(bw), .init(by)], writes: [2],
                            pushConstants: [UInt32(n), UInt32(rows), Float(1e-5).bitPattern, 0, 0],
                            groups: (UInt32(rows), 1, 1))
        try stream.submitAndWait()
        let got = try device.downloadFloats(by, count: x.count)
        var want = [Float](repeating: 0, count: x.count)
        ck_rms_norm(x, w, &want, Int64(n), Int64(rows), 1e-5)
        #expect(maxRelativeError(got, want) < 1e-5)
    }
}
