import CVulkan

/// A Vulkan failure, typed so the worker can exit with a distinct code and the supervisor can
/// decide on CPU failover. The message says what an operator can do about it.
public struct VulkanError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable, Equatable {
        /// No loader, no driver, or no device that can run our compute work.
        case noDevice
        /// Device (or host-visible) memory is exhausted.
        case outOfDeviceMemory
        /// The device was lost (driver reset, GPU hang, removal).
        case deviceLost
        /// Any other failing VkResult.
        case failed
    }

    public let code: Code
    public let message: String
    /// The VkResult behind the error, when there is one.
    public let result: Int32?

    public init(_ code: Code, _ message: String, result: Int32? = nil) {
        self.code = code
        self.message = message
        self.result = result
    }

    public var description: String { message }

    /// Maps a failing VkResult from `call` to its typed error.
    static func from(_ r: VkResult, _ call: String) -> VulkanError {
        switch r {
        case VK_ERROR_OUT_OF_DEVICE_MEMORY:
            return VulkanError(.outOfDeviceMemory, "\(call): out of device memory (VK_ERROR_OUT_OF_DEVICE_MEMORY); lower slots or context, or use a device with more memory", result: r.rawValue)
        case VK_ERROR_OUT_OF_HOST_MEMORY:
            return VulkanError(.outOfDeviceMemory, "\(call): out of host memory (VK_ERROR_OUT_OF_HOST_MEMORY)", result: r.rawValue)
        case VK_ERROR_DEVICE_LOST:
            return VulkanError(.deviceLost, "\(call): the device was lost (VK_ERROR_DEVICE_LOST); check the kernel log (dmesg) for a GPU reset", result: r.rawValue)
        case VK_ERROR_INCOMPATIBLE_DRIVER:
            return VulkanError(.noDevice, "\(call): no compatible Vulkan driver (VK_ERROR_INCOMPATIBLE_DRIVER); install the GPU's Vulkan driver (mesa-vulkan-drivers or the vendor's)", result: r.rawValue)
        case VK_ERROR_INITIALIZATION_FAILED:
            return VulkanError(.noDevice, "\(call): Vulkan initialization failed (VK_ERROR_INITIALIZATION_FAILED)", result: r.rawValue)
        default:
            return VulkanError(.failed, "\(call) failed with VkResult \(r.rawValue)", result: r.rawValue)
        }
    }
}

/// Throws the typed error for a failing VkResult.
@inline(__always)
func check(_ r: VkResult, _ call: @autoclosure () -> String) throws(VulkanError) {
    if r != VK_SUCCESS { throw VulkanError.from(r, call()) }
}
