import CVulkan

/// A storage buffer in device memory; host-visible ones stay mapped for uploads and readback.
public final class VulkanBuffer: @unchecked Sendable {
    public let size: Int
    let device: VulkanDevice
    let handle: VkBuffer
    let memory: VkDeviceMemory
    let allocation: UInt64
    /// Mapped contents, for host-visible buffers.
    public let contents: UnsafeMutableRawPointer?

    public enum Kind: Sendable {
        /// Device-local: weights, KV cache, activations.
        case deviceLocal
        /// Host-visible and coherent: staging and readback.
        case hostVisible
    }

    public init(device: VulkanDevice, size: Int, kind: Kind) throws(VulkanError) {
        let api = VulkanDevice.api
        let bytes = max(size, 4)
        self.size = size
        self.device = device
        var info = VkBufferCreateInfo()
        info.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO
        info.size = VkDeviceSize(bytes)
        info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT.rawValue | VK_BUFFER_USAGE_TRANSFER_SRC_BIT.rawValue
            | VK_BUFFER_USAGE_TRANSFER_DST_BIT.rawValue
        info.sharingMode = VK_SHARING_MODE_EXCLUSIVE
        var buffer: VkBuffer?
        try check(api.CreateBuffer!(device.handle, &info, nil, &buffer), "vkCreateBuffer (\(bytes) bytes)")
        var req = VkMemoryRequirements()
        api.GetBufferMemoryRequirements!(device.handle, buffer, &req)
        let host = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT.rawValue | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT.rawValue
        let local = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT.rawValue
        let type = kind == .hostVisible
            ? device.memoryType(bits: req.memoryTypeBits, required: host, preferred: VK_MEMORY_PROPERTY_HOST_CACHED_BIT.rawValue)
            : device.memoryType(bits: req.memoryTypeBits, required: local) ?? device.memoryType(bits: req.memoryTypeBits, required: 0)
        guard let type else {
            api.DestroyBuffer!(device.handle, buffer, nil)
            throw VulkanError(.noDevice, "\(device.info.name) has no suitable memory type for a \(kind) buffer")
        }
        var alloc = VkMemoryAllocateInfo()
        alloc.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO
        alloc.allocationSize = req.size
        alloc.memoryTypeIndex = type
        var memory: VkDeviceMemory?
        let r = FaultInjection.current == .outOfMemory
            ? VK_ERROR_OUT_OF_DEVICE_MEMORY : api.AllocateMemory!(device.handle, &alloc, nil, &memory)
        if r != VK_SUCCESS {
            api.DestroyBuffer!(device.handle, buffer, nil)
            let held = device.allocatedBytes
            let heap = device.info.heaps.filter(\.deviceLocal).first
            let budget = heap.map { ", budget \($0.budget ?? $0.size) bytes" } ?? ""
            var e = VulkanError.from(r, "allocating \(req.size) bytes of device memory (\(held) already held\(budget))")
            if e.code == .failed { e = VulkanError(.outOfDeviceMemory, e.message, result: r.rawValue) }
            throw e
        }
        do {
            try check(api.BindBufferMemory!(device.handle, buffer, memory, 0), "vkBindBufferMemory")
        } catch {
            api.FreeMemory!(device.handle, memory, nil)
            api.DestroyBuffer!(device.handle, buffer, nil)
            throw error
        }
        var mapped: UnsafeMutableRawPointer?
        if kind == .hostVisible {
            let m = api.MapMemory!(device.handle, memory, 0, VkDeviceSize(VK_WHOLE_SIZE), 0, &mapped)
            if m != VK_SUCCESS {
                api.FreeMemory!(device.handle, memory, nil)
                api.DestroyBuffer!(device.handle, buffer, nil)
                throw VulkanError.from(m, "vkMapMemory")
            }
        }
        handle = buffer!
        self.memory = memory!
        allocation = req.size
        contents = mapped
        device.didAllocate(req.size)
    }

    deinit {
        let api = VulkanDevice.api
        if contents != nil { api.UnmapMemory!(device.handle, memory) }
        api.DestroyBuffer!(device.handle, handle, nil)
        api.FreeMemory!(device.handle, memory, nil)
        device.didFree(allocation)
    }
}
