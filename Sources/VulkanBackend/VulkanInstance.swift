import CVulkan

#if canImport(Glibc)
import Glibc
#endif

/// The Vulkan instance of this process: the loader opened, an instance of Vulkan 1.2 or later,
/// and the physical devices with what vkserve needs to know about them.
public final class VulkanInstance: @unchecked Sendable {
    let handle: VkInstance
    let physicalDevices: [VkPhysicalDevice]
    public let devices: [DeviceInfo]

    /// Vulkan's entry points (resolved by the loader shim).
    static var api: cvk_api { cvk_table().pointee }

    public init() throws(VulkanError) {
        if FaultInjection.current == .noDevice {
            throw VulkanError(.noDevice, "no usable Vulkan device (injected fault \(FaultInjection.variable)=no-device)")
        }
        var reason: UnsafePointer<CChar>?
        guard cvk_load(&reason) == 0 else {
            throw VulkanError(.noDevice, "no Vulkan: \(reason.map { String(cString: $0) } ?? "loader unavailable") (install libvulkan1 and the GPU's Vulkan driver)")
        }
        var version: UInt32 = 0
        if let enumerate = Self.api.EnumerateInstanceVersion { _ = enumerate(&version) }
        guard version >= vkMakeVersion(1, 2, 0) else {
            throw VulkanError(.noDevice, "the Vulkan loader supports API \(versionString(version)); vkserve needs 1.2 or later")
        }
        var instance: VkInstance?
        let r: VkResult = "vkserve".withCString { name in
            var app = VkApplicationInfo()
            app.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO
            app.pApplicationName = name
            app.pEngineName = name
            app.apiVersion = vkMakeVersion(1, 3, 0)
            return withUnsafePointer(to: &app) { appPtr in
                var info = VkInstanceCreateInfo()
                info.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO
                info.pApplicationInfo = appPtr
                return Self.api.CreateInstance!(&info, nil, &instance)
            }
        }
        try check(r, "vkCreateInstance")
        guard let instance else { throw VulkanError(.noDevice, "vkCreateInstance returned no instance") }
        cvk_load_instance(instance)
        handle = instance
        var count: UInt32 = 0
        do {
            try check(Self.api.EnumeratePhysicalDevices!(instance, &count, nil), "vkEnumeratePhysicalDevices")
            var list = [VkPhysicalDevice?](repeating: nil, count: Int(count))
            try check(Self.api.EnumeratePhysicalDevices!(instance, &count, &list), "vkEnumeratePhysicalDevices")
            physicalDevices = list.prefix(Int(count)).compactMap { $0 }
        } catch {
            Self.api.DestroyInstance!(instance, nil)
            throw error
        }
        devices = physicalDevices.enumerated().map { Self.describe($0.element, index: $0.offset) }
    }

    deinit {
        Self.api.DestroyInstance!(handle, nil)
    }

    /// The device to use: `requested` (an index, or the VKSERVE_DEVICE environment variable) or
    /// else the best usable one, discrete before integrated before CPU-type devices.
    public func choose(requested: Int? = nil) throws(VulkanError) -> DeviceInfo {
        var index = requested
        if index == nil, let env = getenv("VKSERVE_DEVICE"), let i = Int(String(cString: env)) { index = i }
        if let index {
            guard devices.indices.contains(index) else {
                throw VulkanError(.noDevice, "Vulkan device \(index) does not exist (\(devices.count) found; see `vkserve devices`)")
            }
            if let why = devices[index].unusableReason {
                throw VulkanError(.noDevice, "Vulkan device \(index) (\(devices[index].name)) cannot be used: \(why)")
            }
            return devices[index]
        }
        guard let best = devices.filter({ $0.unusableReason == nil }).min(by: { ($0.kind.rank, $0.index) < ($1.kind.rank, $1.index) }) else {
            let why = devices.isEmpty ? "no Vulkan device found (is a Vulkan driver installed?)"
                : devices.map { "\($0.index) \($0.name): \($0.unusableReason ?? "")" }.joined(separator: "; ")
            throw VulkanError(.noDevice, "no usable Vulkan device: \(why)")
        }
        return best
    }

    static func describe(_ pd: VkPhysicalDevice, index: Int) -> DeviceInfo {
        let api = Self.api
        var extensions = Set<String>()
        var extCount: UInt32 = 0
        _ = api.EnumerateDeviceExtensionProperties!(pd, nil, &extCount, nil)
        var exts = [VkExtensionProperties](repeating: VkExtensionProperties(), count: Int(extCount))
        _ = api.EnumerateDeviceExtensionProperties!(pd, nil, &extCount, &exts)
        for var e in exts.prefix(Int(extCount)) { extensions.insert(cString(&e.extensionName)) }

        var driver = VkPhysicalDeviceDriverProperties()
        driver.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES
        var subgroup = VkPhysicalDeviceSubgroupProperties()
        subgroup.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES
        var props = VkPhysicalDeviceProperties2()
        props.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2
        withUnsafeMutablePointer(to: &driver) { d in
            subgroup.pNext = UnsafeMutableRawPointer(d)
            withUnsafeMutablePointer(to: &subgroup) { s in
                props.pNext = UnsafeMutableRawPointer(s)
                api.GetPhysicalDeviceProperties2!(pd, &props)
            }
        }
        var f16i8 = VkPhysicalDeviceShaderFloat16Int8Features()
        f16i8.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES
        var s16 = VkPhysicalDevice16BitStorageFeatures()
        s16.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES
        var s8 = VkPhysicalDevice8BitStorageFeatures()
        s8.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_8BIT_STORAGE_FEATURES
        var features = VkPhysicalDeviceFeatures2()
        features.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2
        withUnsafeMutablePointer(to: &f16i8) { a in
            s16.pNext = UnsafeMutableRawPointer(a)
            withUnsafeMutablePointer(to: &s16) { b in
                s8.pNext = UnsafeMutableRawPointer(b)
                withUnsafeMutablePointer(to: &s8) { c in
                    features.pNext = UnsafeMutableRawPointer(c)
                    api.GetPhysicalDeviceFeatures2!(pd, &features)
                }
            }
        }
        let hasBudget = extensions.contains("VK_EXT_memory_budget")
        var budget = VkPhysicalDeviceMemoryBudgetPropertiesEXT()
        budget.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_BUDGET_PROPERTIES_EXT
        var memory = VkPhysicalDeviceMemoryProperties2()
        memory.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_PROPERTIES_2
        withUnsafeMutablePointer(to: &budget) { b in
            if hasBudget { memory.pNext = UnsafeMutableRawPointer(b) }
            api.GetPhysicalDeviceMemoryProperties2!(pd, &memory)
        }
        let heapCount = Int(memory.memoryProperties.memoryHeapCount)
        var heaps: [DeviceInfo.Heap] = []
        withUnsafeBytes(of: memory.memoryProperties.memoryHeaps) { raw in
            let list = raw.bindMemory(to: VkMemoryHeap.self)
            withUnsafeBytes(of: budget.heapBudget) { bRaw in
                withUnsafeBytes(of: budget.heapUsage) { uRaw in
                    let b = bRaw.bindMemory(to: VkDeviceSize.self), u = uRaw.bindMemory(to: VkDeviceSize.self)
                    for i in 0 ..< heapCount {
                        heaps.append(DeviceInfo.Heap(
                            size: list[i].size,
                            deviceLocal: list[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT.rawValue != 0,
                            budget: hasBudget ? b[i] : nil, usage: hasBudget ? u[i] : nil))
                    }
                }
            }
        }
        let p = props.properties
        let kind: DeviceInfo.Kind
        switch p.deviceType {
        case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: kind = .discrete
        case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: kind = .integrated
        case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: kind = .virtual
        case VK_PHYSICAL_DEVICE_TYPE_CPU: kind = .cpu
        default: kind = .other
        }
        var name = p.deviceName
        var driverName = driver.driverName
        var driverInfo = driver.driverInfo
        var unusable: String?
        if p.apiVersion < vkMakeVersion(1, 2, 0) { unusable = "supports Vulkan \(versionString(p.apiVersion)), needs 1.2" }
        else if s16.storageBuffer16BitAccess == 0 { unusable = "no 16-bit storage buffer access" }
        else if s8.storageBuffer8BitAccess == 0 { unusable = "no 8-bit storage buffer access" }
        else if computeQueueFamily(pd) == nil { unusable = "no compute queue" }
        return DeviceInfo(
            index: index, name: cString(&name), kind: kind, vendorID: p.vendorID, deviceID: p.deviceID,
            apiVersion: versionString(p.apiVersion), driverName: cString(&driverName), driverInfo: cString(&driverInfo),
            heaps: heaps, subgroupSize: subgroup.subgroupSize,
            subgroupArithmetic: subgroup.supportedOperations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT.rawValue != 0
                && subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT.rawValue != 0,
            shaderFloat16: f16i8.shaderFloat16 != 0, shaderInt8: f16i8.shaderInt8 != 0,
            storage16Bit: s16.storageBuffer16BitAccess != 0, storage8Bit: s8.storageBuffer8BitAccess != 0,
            memoryBudgetExtension: hasBudget, timestampPeriodNanoseconds: p.limits.timestampPeriod,
            unusableReason: unusable)
    }

    /// A queue family with compute, preferring one without graphics (a dedicated compute queue).
    static func computeQueueFamily(_ pd: VkPhysicalDevice) -> UInt32? {
        var count: UInt32 = 0
        api.GetPhysicalDeviceQueueFamilyProperties!(pd, &count, nil)
        var families = [VkQueueFamilyProperties](repeating: VkQueueFamilyProperties(), count: Int(count))
        api.GetPhysicalDeviceQueueFamilyProperties!(pd, &count, &families)
        let compute = families.enumerated().filter { $0.element.queueFlags & VK_QUEUE_COMPUTE_BIT.rawValue != 0 }
        let dedicated = compute.first { $0.element.queueFlags & VK_QUEUE_GRAPHICS_BIT.rawValue == 0 }
        return (dedicated ?? compute.first).map { UInt32($0.offset) }
    }
}

func vkMakeVersion(_ major: UInt32, _ minor: UInt32, _ patch: UInt32) -> UInt32 {
    (major << 22) | (minor << 12) | patch
}

func versionString(_ v: UInt32) -> String {
    "\(v >> 22).\((v >> 12) & 0x3FF).\(v & 0xFFF)"
}

/// A fixed-size C char array (a tuple in Swift) as a String.
func cString<T>(_ tuple: inout T) -> String {
    withUnsafeBytes(of: &tuple) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
}
