#if canImport(Glibc)
import Glibc
#endif

/// Test-only fault injection, read from `VKSERVE_INJECT_FAULT` (never set it in production):
/// - `no-device`: creating the Vulkan instance fails as if no driver were installed;
/// - `out-of-memory`: the first device allocation fails with out of device memory;
/// - `device-lost@N`: forward step N (0-based) and every later one fail with device lost.
/// Faults are injected where the real failures arise, so they travel the same error paths.
public enum FaultInjection: Sendable, Equatable {
    case noDevice
    case outOfMemory
    case deviceLost(atStep: Int)

    public static let variable = "VKSERVE_INJECT_FAULT"

    /// The fault configured in the environment, if any.
    public static var current: FaultInjection? {
        guard let raw = getenv(variable) else { return nil }
        let value = String(cString: raw)
        switch value {
        case "no-device": return .noDevice
        case "out-of-memory": return .outOfMemory
        default:
            if value.hasPrefix("device-lost@"), let n = Int(value.dropFirst("device-lost@".count)) { return .deviceLost(atStep: n) }
            return nil
        }
    }
}
