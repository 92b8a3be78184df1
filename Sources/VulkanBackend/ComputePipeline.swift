import CVulkan

/// A compute pipeline built once per process from an embedded SPIR-V module: `bindings` storage
/// buffers, `pushConstantBytes` of push constants, and specialization constants 0..<n.
public final class ComputePipeline: @unchecked Sendable {
    public let name: String
    public let bindings: Int
    public let pushConstantBytes: Int
    let device: VulkanDevice
    let setLayout: VkDescriptorSetLayout
    let layout: VkPipelineLayout
    let handle: VkPipeline

    public init(device: VulkanDevice, module: SPIRVModule, bindings: Int, pushConstantBytes: Int,
                specialization: [UInt32] = []) throws(VulkanError) {
        let api = VulkanDevice.api
        name = module.name
        self.bindings = bindings
        self.pushConstantBytes = pushConstantBytes
        self.device = device
        var shader: VkShaderModule?
        var r: VkResult = module.words.withUnsafeBufferPointer { words in
            var info = VkShaderModuleCreateInfo()
            info.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO
            info.codeSize = words.count * 4
            info.pCode = words.baseAddress
            return api.CreateShaderModule!(device.handle, &info, nil, &shader)
        }
        try check(r, "vkCreateShaderModule(\(module.name))")
        defer { api.DestroyShaderModule!(device.handle, shader, nil) }

        var layoutBindings = (0 ..< bindings).map { i -> VkDescriptorSetLayoutBinding in
            var b = VkDescriptorSetLayoutBinding()
            b.binding = UInt32(i)
            b.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER
            b.descriptorCount = 1
            b.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT.rawValue
            return b
        }
        var setLayout: VkDescriptorSetLayout?
        r = layoutBindings.withUnsafeMutableBufferPointer { lb in
            var info = VkDescriptorSetLayoutCreateInfo()
            info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO
            info.bindingCount = UInt32(bindings)
            info.pBindings = UnsafePointer(lb.baseAddress)
            return api.CreateDescriptorSetLayout!(device.handle, &info, nil, &setLayout)
        }
        try check(r, "vkCreateDescriptorSetLayout(\(module.name))")
        var range = VkPushConstantRange()
        range.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT.rawValue
        range.size = UInt32(pushConstantBytes)
        var layout: VkPipelineLayout?
        r = withUnsafePointer(to: &setLayout) { sl in
            withUnsafePointer(to: &range) { rp in
                var info = VkPipelineLayoutCreateInfo()
                info.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO
                info.setLayoutCount = 1
                info.pSetLayouts = sl
                info.pushConstantRangeCount = pushConstantBytes > 0 ? 1 : 0
                info.pPushConstantRanges = rp
                return api.CreatePipelineLayout!(device.handle, &info, nil, &layout)
            }
        }
        if r != VK_SUCCESS { api.DestroyDescriptorSetLayout!(device.handle, setLayout, nil) }
        try check(r, "vkCreatePipelineLayout(\(module.name))")

        var entries = specialization.indices.map { i -> VkSpecializationMapEntry in
            VkSpecializationMapEntry(constantID: UInt32(i), offset: UInt32(i * 4), size: 4)
        }
        var values = specialization
        var pipeline: VkPipeline?
        r = "main".withCString { entry in
            entries.withUnsafeMutableBufferPointer { e in
                values.withUnsafeMutableBytes { v in
                    var spec = VkSpecializationInfo(mapEntryCount: UInt32(e.count), pMapEntries: UnsafePointer(e.baseAddress),
                                                    dataSize: v.count, pData: UnsafeRawPointer(v.baseAddress))
                    return withUnsafePointer(to: &spec) { sp in
                        var stage = VkPipelineShaderStageCreateInfo()
                        stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO
                        stage.stage = VK_SHADER_STAGE_COMPUTE_BIT
                        stage.module = shader
                        stage.pName = entry
                        stage.pSpecializationInfo = specialization.isEmpty ? nil : sp
                        var info = VkComputePipelineCreateInfo()
                        info.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO
                        info.stage = stage
                        info.layout = layout
                        return api.CreateComputePipelines!(device.handle, nil, 1, &info, nil, &pipeline)
                    }
                }
            }
        }
        if r != VK_SUCCESS {
            api.DestroyPipelineLayout!(device.handle, layout, nil)
            api.DestroyDescriptorSetLayout!(device.handle, setLayout, nil)
        }
        try check(r, "vkCreateComputePipelines(\(module.name))")
        self.setLayout = setLayout!
        self.layout = layout!
        handle = pipeline!
    }

    deinit {
        let api = VulkanDevice.api
        api.DestroyPipeline!(device.handle, handle, nil)
        api.DestroyPipelineLayout!(device.handle, layout, nil)
        api.DestroyDescriptorSetLayout!(device.handle, setLayout, nil)
    }
}
