import Testing
import VulkanBackend

/// One device for the whole test run (lavapipe in CI).
enum TestDevice {
    static let shared: VulkanDevice? = {
        do { return try VulkanDevice(instance: try VulkanInstance()) } catch {
            print("no Vulkan device: \(error)")
            return nil
        }
    }()

    static func require() throws -> VulkanDevice {
        guard let d = shared else {
            Issue.record("no usable Vulkan device: install mesa-vulkan-drivers (lavapipe) — scripts/install-deps.sh does")
            throw CancellationError()
        }
        return d
    }
}
func maxRelativeError(_ a: [Float], _ b: [Float]) -> Float {
    let scale = max(b.map { abs($0) }.max() ?? 1, 1e-6)
    return zip(a, b).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
}
