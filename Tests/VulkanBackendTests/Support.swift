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

struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func floats(_ n: Int, scale: Float = 1) -> [Float] {
        (0 ..< n).map { _ in Float.random(in: -scale ... scale, using: &self) }
    }
}

func maxRelativeError(_ a: [Float], _ b: [Float]) -> Float {
    let scale = max(b.map { abs($0) }.max() ?? 1, 1e-6)
    return zip(a, b).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
}
