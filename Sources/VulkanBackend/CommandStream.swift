import CVulkan

#if canImport(Glibc)
import Glibc
#endif

/// One command buffer recorded op by op and submitted once: a whole forward step, with a
/// barrier only where an op reads what an earlier one wrote, and no host round trip between ops.
public final class CommandStream: @unchecked Sendable {
    let device: VulkanDevice
    let commandBuffer: VkCommandBuffer
    let descriptorPool: VkDescriptorPool
    let maxSets: Int
    private var setsUsed = 0
    /// Two timestamps per submission (start, end), when the queue supports them.
    let queryPool: VkQueryPool?
    /// Device time spent executing this stream's submissions, in seconds.
    public private(set) var busySeconds: Double = 0
    private var recording = false
    /// Per-dispatch timestamps (`VKSERVE_PROFILE=1`): device seconds and dispatch count by kernel label.
    public private(set) var profile: [String: (seconds: Double, count: Int)] = [:]
    let profiling: Bool
    private var labels: [String] = []
    /// Buffers written since the last barrier: reading or writing one needs a barrier first.
    private var dirty = Set<ObjectIdentifier>()
    /// Buffers read since the last barrier: writing one needs a barrier first (write after read).
    private var read = Set<ObjectIdentifier>()

    public init(device: VulkanDevice, maxDispatches: Int = 4096, maxBindings: Int = 8) throws(VulkanError) {
        let api = VulkanDevice.api
        self.device = device
        maxSets = maxDispatches
        var alloc = VkCommandBufferAllocateInfo()
        alloc.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO
        alloc.commandPool = device.commandPool
        alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY
        alloc.commandBufferCount = 1
        var cb: VkCommandBuffer?
        try check(api.AllocateCommandBuffers!(device.handle, &alloc, &cb), "vkAllocateCommandBuffers")
        commandBuffer = cb!
        var size = VkDescriptorPoolSize(type: VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, descriptorCount: UInt32(maxDispatches * maxBindings))
        var pool: VkDescriptorPool?
        let r = withUnsafePointer(to: &size) { sp in
            var info = VkDescriptorPoolCreateInfo()
            info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO
            info.maxSets = UInt32(maxDispatches)
            info.poolSizeCount = 1
            info.pPoolSizes = sp
            return api.CreateDescriptorPool!(device.handle, &info, nil, &pool)
        }
        try check(r, "vkCreateDescriptorPool")
        descriptorPool = pool!
        var qinfo = VkQueryPoolCreateInfo()
        qinfo.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO
        qinfo.queryType = VK_QUERY_TYPE_TIMESTAMP
        profiling = getenv("VKSERVE_PROFILE").map { String(cString: $0) == "1" } ?? false
        qinfo.queryCount = UInt32(profiling ? 2 + maxDispatches : 2)
        var qp: VkQueryPool?
        queryPool = device.info.timestampPeriodNanoseconds > 0 && api.CreateQueryPool!(device.handle, &qinfo, nil, &qp) == VK_SUCCESS
            ? qp : nil
    }

    deinit {
        VulkanDevice.api.DestroyDescriptorPool!(device.handle, descriptorPool, nil)
        if let queryPool { VulkanDevice.api.DestroyQueryPool!(device.handle, queryPool, nil) }
    }

    /// Start recording (resets the previous submission's descriptor sets).
    public func begin() throws(VulkanError) {
        let api = VulkanDevice.api
        try check(api.ResetDescriptorPool!(device.handle, descriptorPool, 0), "vkResetDescriptorPool")
        try check(api.ResetCommandBuffer!(commandBuffer, 0), "vkResetCommandBuffer")
        var info = VkCommandBufferBeginInfo()
        info.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO
        info.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT.rawValue
        try check(api.BeginCommandBuffer!(commandBuffer, &info), "vkBeginCommandBuffer")
        if let queryPool {
            api.CmdResetQueryPool!(commandBuffer, queryPool, 0, profiling ? UInt32(2 + maxSets) : 2)
            api.CmdWriteTimestamp!(commandBuffer, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, queryPool, 0)
        }
        setsUsed = 0
        labels.removeAll(keepingCapacity: true)
        dirty.removeAll()
        read.removeAll()
        recording = true
    }

    /// A buffer region bound to a pipeline's binding.
    public struct Binding {
        public var buffer: VulkanBuffer
        public var offset: Int
        public var size: Int?
        public init(_ buffer: VulkanBuffer, offset: Int = 0, size: Int? = nil) {
            self.buffer = buffer
            self.offset = offset
            self.size = size
        }
    }

    /// Record a dispatch. `writes` are the binding indices the kernel writes (for barriers).
    public func dispatch(_ pipeline: ComputePipeline, _ bindings: [Binding], writes: [Int], pushConstants: [UInt32],
                         groups: (UInt32, UInt32, UInt32), label: String? = nil) throws(VulkanError) {
        precondition(recording, "dispatch outside begin/submit")
        precondition(bindings.count == pipeline.bindings, "\(pipeline.name): \(bindings.count) bindings for \(pipeline.bindings)")
        guard setsUsed < maxSets else {
            throw VulkanError(.failed, "command stream holds at most \(maxSets) dispatches")
        }
        let api = VulkanDevice.api
        let hazard = bindings.indices.contains { i in
            let id = ObjectIdentifier(bindings[i].buffer)
            return dirty.contains(id) || (writes.contains(i) && read.contains(id))
        }
        if hazard { barrier() }

        var layout: VkDescriptorSetLayout? = pipeline.setLayout
        var set: VkDescriptorSet?
        let r = withUnsafePointer(to: &layout) { lp in
            var info = VkDescriptorSetAllocateInfo()
            info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO
            info.descriptorPool = descriptorPool
            info.descriptorSetCount = 1
            info.pSetLayouts = lp
            return api.AllocateDescriptorSets!(device.handle, &info, &set)
        }
        try check(r, "vkAllocateDescriptorSets(\(pipeline.name))")
        setsUsed += 1
        var infos = bindings.map { b in
            VkDescriptorBufferInfo(buffer: b.buffer.handle, offset: VkDeviceSize(b.offset),
                                   range: b.size.map { VkDeviceSize($0) } ?? VkDeviceSize(VK_WHOLE_SIZE))
        }
        infos.withUnsafeMutableBufferPointer { ip in
            var writesInfo = (0 ..< bindings.count).map { i -> VkWriteDescriptorSet in
                var w = VkWriteDescriptorSet()
                w.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET
                w.dstSet = set
                w.dstBinding = UInt32(i)
                w.descriptorCount = 1
                w.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER
                w.pBufferInfo = UnsafePointer(ip.baseAddress! + i)
                return w
            }
            api.UpdateDescriptorSets!(device.handle, UInt32(writesInfo.count), &writesInfo, 0, nil)
        }
        api.CmdBindPipeline!(commandBuffer, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.handle)
        api.CmdBindDescriptorSets!(commandBuffer, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.layout, 0, 1, &set, 0, nil)
        if !pushConstants.isEmpty {
            pushConstants.withUnsafeBytes { pc in
                api.CmdPushConstants!(commandBuffer, pipeline.layout, VK_SHADER_STAGE_COMPUTE_BIT.rawValue, 0,
                                      UInt32(pc.count), pc.baseAddress)
            }
        }
        api.CmdDispatch!(commandBuffer, groups.0, groups.1, groups.2)
        if profiling, let queryPool {
            api.CmdWriteTimestamp!(commandBuffer, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, queryPool, UInt32(2 + labels.count))
            labels.append(label ?? pipeline.name)
        }
        for i in bindings.indices {
            if writes.contains(i) { dirty.insert(ObjectIdentifier(bindings[i].buffer)) }
            else { read.insert(ObjectIdentifier(bindings[i].buffer)) }
        }
    }

    /// Copy bytes between buffers (uploads through staging, readback).
    public func copy(from src: VulkanBuffer, srcOffset: Int = 0, to dst: VulkanBuffer, dstOffset: Int = 0, size: Int) {
        let (s, d) = (ObjectIdentifier(src), ObjectIdentifier(dst))
        if dirty.contains(s) || dirty.contains(d) || read.contains(d) { barrier() }
        var region = VkBufferCopy(srcOffset: VkDeviceSize(srcOffset), dstOffset: VkDeviceSize(dstOffset), size: VkDeviceSize(size))
        VulkanDevice.api.CmdCopyBuffer!(commandBuffer, src.handle, dst.handle, 1, &region)
        dirty.insert(d)
        read.insert(s)
    }

    /// A full compute/transfer memory barrier; recorded automatically before a dependent op.
    public func barrier() {
        var mb = VkMemoryBarrier()
        mb.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER
        mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT.rawValue | VK_ACCESS_TRANSFER_WRITE_BIT.rawValue
        mb.dstAccessMask = VK_ACCESS_SHADER_READ_BIT.rawValue | VK_ACCESS_SHADER_WRITE_BIT.rawValue
            | VK_ACCESS_TRANSFER_READ_BIT.rawValue | VK_ACCESS_TRANSFER_WRITE_BIT.rawValue | VK_ACCESS_HOST_READ_BIT.rawValue
        let stages = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT.rawValue | VK_PIPELINE_STAGE_TRANSFER_BIT.rawValue
        VulkanDevice.api.CmdPipelineBarrier!(commandBuffer, stages, stages | VK_PIPELINE_STAGE_HOST_BIT.rawValue, 0,
                                             1, &mb, 0, nil, 0, nil)
        dirty.removeAll()
        read.removeAll()
    }

    /// End recording, submit, and wait for the device to finish.
    public func submitAndWait() throws(VulkanError) {
        let api = VulkanDevice.api
        barrier()  // make results visible to the host
        if let queryPool { api.CmdWriteTimestamp!(commandBuffer, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, queryPool, 1) }
        recording = false
        try check(api.EndCommandBuffer!(commandBuffer), "vkEndCommandBuffer")
        var cb: VkCommandBuffer? = commandBuffer
        let r = withUnsafePointer(to: &cb) { cbp in
            var submit = VkSubmitInfo()
            submit.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO
            submit.commandBufferCount = 1
            submit.pCommandBuffers = cbp
            return api.QueueSubmit!(device.queue, 1, &submit, device.fence)
        }
        try check(r, "vkQueueSubmit")
        var fence: VkFence? = device.fence
        try check(api.WaitForFences!(device.handle, 1, &fence, 1, UInt64.max), "vkWaitForFences")
        try check(api.ResetFences!(device.handle, 1, &fence), "vkResetFences")
        if let queryPool {
            var stamps: (UInt64, UInt64) = (0, 0)
            let q = withUnsafeMutableBytes(of: &stamps) { raw in
                api.GetQueryPoolResults!(device.handle, queryPool, 0, 2, 16, raw.baseAddress, 8,
                                         VK_QUERY_RESULT_64_BIT.rawValue)
            }
            let period = Double(device.info.timestampPeriodNanoseconds) * 1e-9
            if q == VK_SUCCESS, stamps.1 >= stamps.0 {
                busySeconds += Double(stamps.1 - stamps.0) * period
            }
            if profiling, !labels.isEmpty {
                var each = [UInt64](repeating: 0, count: labels.count)
                let r = each.withUnsafeMutableBytes { raw in
                    api.GetQueryPoolResults!(device.handle, queryPool, 2, UInt32(labels.count), raw.count, raw.baseAddress, 8,
                                             VK_QUERY_RESULT_64_BIT.rawValue)
                }
                if r == VK_SUCCESS {
                    var previous = stamps.0
                    for (i, label) in labels.enumerated() {
                        let dt = each[i] >= previous ? Double(each[i] - previous) * period : 0
                        previous = each[i]
                        profile[label, default: (0, 0)].seconds += dt
                        profile[label, default: (0, 0)].count += 1
                    }
                }
            }
        }
    }
}
