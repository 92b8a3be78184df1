import CVulkan

/// A logical device with one compute queue: memory, buffers, pipelines and submissions.
public final class VulkanDevice: @unchecked Sendable {
    public let info: DeviceInfo
    public let instance: VulkanInstance
    let physical: VkPhysicalDevice
    let handle: VkDevice
    let queue: VkQueue
    let queueFamily: UInt32
    let commandPool: VkCommandPool
    let fence: VkFence
    let memoryTypes: [VkMemoryType]
    /// Bytes this device object holds in device memory right now.
    public private(set) var allocatedBytes: UInt64 = 0

    static var api: cvk_api { VulkanInstance.api }

    public init(instance: VulkanInstance, device requested: Int? = nil) throws(VulkanError) {
        let info = try instance.choose(requested: requested)
        self.info = info
        self.instance = instance
        let pd = instance.physicalDevices[info.index]
        physical = pd
        guard let family = VulkanInstance.computeQueueFamily(pd) else {
            throw VulkanError(.noDevice, "\(info.name) has no compute queue")
        }
        queueFamily = family
        let api = Self.api

        var priority: Float = 1
        var device: VkDevice?
        var r = VK_SUCCESS
        withUnsafePointer(to: &priority) { prio in
            var q = VkDeviceQueueCreateInfo()
            q.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO
            q.queueFamilyIndex = family
            q.queueCount = 1
            q.pQueuePriorities = prio
            var f16i8 = VkPhysicalDeviceShaderFloat16Int8Features()
            f16i8.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES
            f16i8.shaderFloat16 = info.shaderFloat16 ? 1 : 0
            f16i8.shaderInt8 = info.shaderInt8 ? 1 : 0
            var s16 = VkPhysicalDevice16BitStorageFeatures()
            s16.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES
            s16.storageBuffer16BitAccess = 1
            var s8 = VkPhysicalDevice8BitStorageFeatures()
            s8.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_8BIT_STORAGE_FEATURES
            s8.storageBuffer8BitAccess = 1
            withUnsafeMutablePointer(to: &f16i8) { a in
                s16.pNext = UnsafeMutableRawPointer(a)
                withUnsafeMutablePointer(to: &s16) { b in
                    s8.pNext = UnsafeMutableRawPointer(b)
                    withUnsafeMutablePointer(to: &s8) { c in
                        withUnsafePointer(to: &q) { qp in
                            var create = VkDeviceCreateInfo()
                            create.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO
                            create.pNext = UnsafeRawPointer(c)
                            create.queueCreateInfoCount = 1
                            create.pQueueCreateInfos = qp
                            r = api.CreateDevice!(pd, &create, nil, &device)
                        }
                    }
                }
            }
        }
        try check(r, "vkCreateDevice on \(info.name)")
        guard let device else { throw VulkanError(.noDevice, "vkCreateDevice returned no device") }
        cvk_load_device(device)
        handle = device
        var q: VkQueue?
        Self.api.GetDeviceQueue!(device, family, 0, &q)
        queue = q!

        var poolInfo = VkCommandPoolCreateInfo()
        poolInfo.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO
        poolInfo.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT.rawValue
        poolInfo.queueFamilyIndex = family
        var pool: VkCommandPool?
        var fenceHandle: VkFence?
        var fenceInfo = VkFenceCreateInfo()
        fenceInfo.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO
        do {
            try check(Self.api.CreateCommandPool!(device, &poolInfo, nil, &pool), "vkCreateCommandPool")
            try check(Self.api.CreateFence!(device, &fenceInfo, nil, &fenceHandle), "vkCreateFence")
        } catch {
            if let pool { Self.api.DestroyCommandPool!(device, pool, nil) }
            Self.api.DestroyDevice!(device, nil)
            throw error
        }
        commandPool = pool!
        fence = fenceHandle!

        var mem = VkPhysicalDeviceMemoryProperties()
        api.GetPhysicalDeviceMemoryProperties!(pd, &mem)
        let count = Int(mem.memoryTypeCount)
        memoryTypes = withUnsafeBytes(of: mem.memoryTypes) { Array($0.bindMemory(to: VkMemoryType.self).prefix(count)) }
    }

    deinit {
        _ = Self.api.DeviceWaitIdle!(handle)
        Self.api.DestroyFence!(handle, fence, nil)
        Self.api.DestroyCommandPool!(handle, commandPool, nil)
        Self.api.DestroyDevice!(handle, nil)
    }

    /// A memory type index allowed by `bits` with all of `required` (and `preferred` when possible).
    func memoryType(bits: UInt32, required: UInt32, preferred: UInt32 = 0) -> UInt32? {
        let candidates = memoryTypes.indices.filter { bits & (1 << UInt32($0)) != 0 && memoryTypes[$0].propertyFlags & required == required }
        return (candidates.first { memoryTypes[$0].propertyFlags & preferred == preferred } ?? candidates.first).map(UInt32.init)
    }

    func didAllocate(_ bytes: UInt64) { allocatedBytes += bytes }
    func didFree(_ bytes: UInt64) { allocatedBytes -= bytes }
}
