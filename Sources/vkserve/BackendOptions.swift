import ArgumentParser
import CPUBackend
import Engine
import VulkanBackend

enum BackendKind: String, ExpressibleByArgument, CaseIterable {
    case cpu
    case vulkan
}

/// Options shared by the commands that run a model.
struct BackendOptions: ParsableArguments {
    @Option(help: "GGUF model file.")
    var model: String = "models/SmolLM2-135M-Instruct.Q4_1.gguf"

    @Option(help: "Compute backend (\(BackendKind.allCases.map(\.rawValue).joined(separator: ", "))).")
    var backend: BackendKind = .cpu

    @Option(help: "Compute threads (0: one per core).")
    var threads: Int = 0

    @Option(help: "Vulkan device index (see `vkserve devices`; default: the best usable one, or VKSERVE_DEVICE).")
    var device: Int?

    func makeBackend(context: Int, batch: Int = 256) throws -> any ComputeBackend {
        let m = try Model(path: model)
        switch backend {
        case .cpu:
            return try CPUBackend(model: m, slots: 1, context: context, threads: threads, maxBatchTokens: batch)
        case .vulkan:
            let d = try VulkanDevice(instance: try VulkanInstance(), device: device)
            return try VulkanBackend(model: m, device: d, slots: 1, context: context, maxBatchTokens: min(batch, 128))
        }
    }
}

/// Prints an error the way every command does and exits non-zero.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
