/// The device's read bandwidth, measured with a streaming kernel and timestamp queries: the
/// denominator of "fraction of the memory-bandwidth bound" for decode figures.
public enum DeviceBandwidth {
    /// Bytes per second read by `read_bandwidth.comp` over a device-local buffer of `bytes`
    /// (the best of `repetitions` timed passes, after one warm-up pass).
    public static func measure(device: VulkanDevice, bytes: Int = 512 << 20, repetitions: Int = 5) throws(VulkanError) -> Double {
        let size = max(1 << 20, bytes & ~15)
        let src = try VulkanBuffer(device: device, size: size, kind: .deviceLocal)
        let workgroups = 4096
        let dst = try VulkanBuffer(device: device, size: workgroups * 4, kind: .deviceLocal)
        let pipeline = try ComputePipeline(device: device, module: SPIRVModules.read_bandwidth, bindings: 2,
                                           pushConstantBytes: 4, specialization: [256])
        let stream = try CommandStream(device: device, maxDispatches: 4, maxBindings: 2)
        guard stream.queryPool != nil else {
            throw VulkanError(.failed, "\(device.info.name) has no timestamp queries on its compute queue; cannot time reads")
        }
        var best = 0.0
        for pass in 0 ... repetitions {
            let before = stream.busySeconds
            try stream.begin()
            try stream.dispatch(pipeline, [.init(src), .init(dst)], writes: [1], pushConstants: [UInt32(size / 16)],
                                groups: (UInt32(workgroups), 1, 1))
            try stream.submitAndWait()
            let seconds = stream.busySeconds - before
            if pass > 0, seconds > 0 { best = max(best, Double(size) / seconds) }
        }
        return best
    }
}
