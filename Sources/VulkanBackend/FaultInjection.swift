import Foundation

/// Test-only fault injection, read from `VKSERVE_INJECT_FAULT` (never set it in production):
/// - `no-device`: creating the Vulkan instance fails as if no driver were installed;
/// - `out-of-memory`: the first device allocation fails with out of device memory;
/// - `device-lost@N`: forward step N (0-based) and every later one fail with device lost.
/// Faults are injected where the real failures arise, so they travel the same error paths.
/// `VKSERVE_INJECT_FAULT_FILE=PATH` reads the same text from a file when it exists, so a test can
/// lift a fault while a supervisor keeps restarting workers (fail-back).
public enum FaultInjection: Sendable, Equatable {
    case noDevice
    case outOfMemory
    case deviceLost(atStep: Int)

    public static let variable = "VKSERVE_INJECT_FAULT"
    public static let fileVariable = "VKSERVE_INJECT_FAULT_FILE"

    /// The fault configured in the environment, if any.
    public static var current: FaultInjection? {
        var text: String?
        if let raw = getenv(variable) { text = String(cString: raw) }
        if text == nil, let path = getenv(fileVariable), let file = fopen(path, "r") {
            defer { fclose(file) }
            var buffer = [CChar](repeating: 0, count: 64)
            if fgets(&buffer, Int32(buffer.count), file) != nil {
                text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
        guard let value = text else { return nil }
        switch value {
        case "no-device": return .noDevice
        case "out-of-memory": return .outOfMemory
        default:
            if value.hasPrefix("device-lost@"), let n = Int(value.dropFirst("device-lost@".count)) { return .deviceLost(atStep: n) }
            return nil
        }
    }
}
