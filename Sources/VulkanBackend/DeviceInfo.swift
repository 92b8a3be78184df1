/// What `vkserve devices` shows about one Vulkan device.
public struct DeviceInfo: Sendable, Codable, Equatable {
    public struct Heap: Sendable, Codable, Equatable {
        public var size: UInt64
        public var deviceLocal: Bool
        /// From VK_EXT_memory_budget, when the device has it.
        public var budget: UInt64?
        public var usage: UInt64?
    }

    public enum Kind: String, Sendable, Codable {
        case discrete, integrated, virtual, cpu, other

        /// Preference when choosing a device: discrete first, CPU-type (lavapipe) last.
        var rank: Int {
            switch self {
            case .discrete: return 0
            case .integrated: return 1
            case .virtual: return 2
            case .other: return 3
            case .cpu: return 4
            }
        }
    }

    public var index: Int
    public var name: String
    public var kind: Kind
    public var vendorID: UInt32
    public var deviceID: UInt32
    public var apiVersion: String
    public var driverName: String
    public var driverInfo: String
    public var heaps: [Heap]
    public var subgroupSize: UInt32
    public var subgroupArithmetic: Bool
    public var shaderFloat16: Bool
    public var shaderInt8: Bool
    public var storage16Bit: Bool
    public var storage8Bit: Bool
    public var memoryBudgetExtension: Bool
    public var timestampPeriodNanoseconds: Float
    /// Why this device cannot run vkserve's kernels, or nil when it can.
    public var unusableReason: String?

    public var deviceLocalBytes: UInt64 { heaps.filter(\.deviceLocal).reduce(0) { $0 + $1.size } }
}
