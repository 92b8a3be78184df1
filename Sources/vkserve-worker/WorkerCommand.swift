import ArgumentParser
import CProcess
import Foundation
import Logging
import ServiceLifecycle
import Worker
import WorkerProtocol

@main
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vkserve-worker",
        abstract: "One inference worker: one engine on one device, serving a supervisor over a Unix socket.",
        discussion: """
            Exit codes: \(WorkerExitCode.allCases.map { "\($0.rawValue) \($0.meaning)" }.joined(separator: "; ")).
            Test-only fault injection: VKSERVE_WORKER_FAULT=crash@N|hang@N|silent@N (step N), \
            VKSERVE_INJECT_FAULT=no-device|out-of-memory|device-lost@N (Vulkan). Never set them in production.
            """)

    @Option(help: "Unix socket to listen on (created with mode 0600).") var socket: String
    @Option(help: "GGUF model file.") var model: String
    @Option(help: "Compute backend: cpu or vulkan.") var backend: String = "vulkan"
    @Option(help: "Vulkan device index (default: the best usable one).") var device: Int?
    @Option(help: "Sequences decoded together.") var slots: Int = 4
    @Option(help: "Context length per sequence, in tokens.") var context: Int = 4096
    @Option(help: "CPU threads (0: one per core).") var threads: Int = 0
    @Option(help: "Tokens per forward step (decode tokens plus prefill chunks).") var batchTokens: Int = 512
    @Option(help: "Most prompt tokens a sequence prefills per step.") var prefillChunk: Int = 64
    @Option(help: "Most tokens of a step in which sequences decode (0: --batch-tokens).") var stepTokens: Int = 0
    @Option(help: "Target milliseconds of a step in which sequences decode; prompt chunks shrink to fit (0: none).")
    var stepTargetMs: Double = 0
    @Option(help: "Seconds between heartbeats.") var heartbeatInterval: Double = 1
    @Option(help: "Seconds SIGTERM lets in-flight requests finish before cancelling them.") var shutdownGrace: Double = 30
    @Flag(help: "Compute every prompt in full instead of reusing a slot's cached prefix.") var noPrefixCache = false
    @Option(help: "Chat layout replacing the one recognised in the model's template (chatml, llama3, llama3.1, mistral-v3, phi3, gemma, ...).")
    var chatTemplate: String?
    @Flag(help: "Exit with 'no device' when the only Vulkan device is a software renderer on the CPU (lavapipe).")
    var hardwareOnly = false

    mutating func run() async throws {
        // Never outlive the supervisor; if it is already gone, go now.
        guard Self.dieWithParent() else { Foundation.exit(WorkerExitCode.internalError.rawValue) }
        let logger = Logger(label: "vkserve-worker")
        guard let kind = WorkerOptions.Backend(rawValue: backend) else {
            Self.exit(.badArguments, "--backend must be cpu or vulkan (got '\(backend)')")
        }
        var options = WorkerOptions(socketPath: socket, modelPath: model, backend: kind, device: device, slots: slots,
                                    context: context, threads: threads, maxBatchTokens: batchTokens,
                                    prefillChunk: prefillChunk, heartbeatInterval: heartbeatInterval,
                                    shutdownGrace: shutdownGrace)
        options.hardwareOnly = hardwareOnly
        options.stepTokens = stepTokens
        options.stepTargetMs = stepTargetMs
        options.prefixCache = !noPrefixCache
        options.chatTemplate = chatTemplate
        if let problem = options.problem { Self.exit(.badArguments, problem) }
        let server = WorkerServer(options: options, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [.init(service: server, successTerminationBehavior: .gracefullyShutdownGroup)], gracefulShutdownSignals: [.sigterm, .sigint],
                                                      logger: logger))
        do {
            try await group.run()
        } catch let failure as WorkerServer.Failure {
            Self.exit(failure.exitCode, failure.description)
        } catch {
            Self.exit(.internalError, "\(error)")
        }
    }

    /// Arms the parent-death signal from a thread that lives as long as the process: Linux keeps
    /// the setting per thread and drops it when that thread exits (Swift's pool threads retire when
    /// idle, which left workers orphaned). The same thread also checks the parent every 200 ms, in
    /// case the signal is lost anyway. False when the parent is already gone or prctl fails.
    static func dieWithParent() -> Bool {
        let parent = getppid()
        let armed = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var ok = false
        let watcher = Thread {
            ok = vk_set_parent_death_signal(SIGKILL) == 0 && getppid() == parent
            armed.signal()
            while ok {
                usleep(200_000)
                if getppid() != parent { _exit(WorkerExitCode.internalError.rawValue) }
            }
        }
        watcher.name = "parent-watch"
        watcher.start()
        armed.wait()
        return ok
    }

    static func exit(_ code: WorkerExitCode, _ message: String) -> Never {
        FileHandle.standardError.write(Data("vkserve-worker: \(message)\n".utf8))
        Foundation.exit(code.rawValue)
    }
}
