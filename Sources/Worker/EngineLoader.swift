import CPUBackend
import Engine
import Foundation
import Tokenizer
import VulkanBackend
import WorkerProtocol

/// Opens the model and the engine the options name, reporting progress, then computes one real
/// token so that "ready" means able to generate.
enum EngineLoader {
    struct Loaded {
        let backend: any ComputeBackend
        let device: String
        let loadSeconds: Double
        let warmupSeconds: Double
        /// The chat layout and where it came from (`llama3.1 (metadata)`), or why chat requests are refused.
        let chatTemplate: Result<String, ChatTemplateError>
    }

    static func load(_ o: WorkerOptions, progress: (String, Double) -> Void) throws(EngineError) -> Loaded {
        let start = monotonicSeconds()
        progress("opening model", 0)
        let model = try Model(path: o.modelPath, chatTemplate: o.chatTemplate)
        progress(o.backend == .vulkan ? "uploading weights" : "mapping weights", 0.1)
        let backend: any ComputeBackend
        let device: String
        switch o.backend {
        case .cpu:
            let cpu = try CPUBackend(model: model, slots: o.slots, context: o.context, threads: o.threads,
                                     maxBatchTokens: o.maxBatchTokens)
            backend = cpu
            device = cpu.description
        case .vulkan:
            let d: VulkanDevice
            do throws(VulkanError) {
                d = try VulkanDevice(instance: try VulkanInstance(), device: o.device)
            } catch {
                throw VulkanBackend.engineError(error)
            }
            if o.hardwareOnly && d.info.kind == .cpu {
                throw EngineError(.noDevice, "the only usable Vulkan device is \(d.info.name), a software renderer on "
                    + "the CPU, slower than the CPU engine (allow it: run without --hardware-only, or set "
                    + "workers.software_vulkan = true in vkserved's configuration)")
            }
            let vk = try VulkanBackend(model: model, device: d, slots: o.slots, context: o.context,
                                       maxBatchTokens: o.maxBatchTokens)
            backend = vk
            device = vk.description
        }
        let loaded = monotonicSeconds()
        progress("warming up", 0.9)
        // One real token through the whole path: prefill of BOS (or token 0) and one sample.
        var batch = Batch()
        let first = model.tokenizer.bos >= 0 ? model.tokenizer.bos : 0
        batch.append(token: first, position: 0, slot: 0, wantLogits: true)
        var logits = [Float](repeating: 0, count: model.config.vocabularySize)
        try logits.withUnsafeMutableBufferPointer { (buf) throws(EngineError) in try backend.forward(batch, logits: buf) }
        guard logits.allSatisfy({ $0.isFinite }) else {
            throw EngineError(.backend, "the warm-up token's logits are not finite: the engine computes garbage on this device")
        }
        progress("ready", 1)
        return Loaded(backend: backend, device: device, loadSeconds: loaded - start, warmupSeconds: monotonicSeconds() - loaded,
                      chatTemplate: model.tokenizer.chatTemplate.map { "\($0.name) (\($0.source.rawValue))" })
    }

    /// The exit code and fault kind for an engine failure.
    static func classify(_ e: EngineError) -> (WorkerExitCode, FaultKind) {
        switch e.code {
        case .unsupportedModel: return (.badModel, .badModel)
        case .noDevice: return (.noDevice, .noDevice)
        case .outOfMemory: return (.outOfDeviceMemory, .outOfDeviceMemory)
        case .deviceLost: return (.deviceLost, .deviceLost)
        case .invalidRequest, .backend: return (.internalError, .internal)
        }
    }
}
