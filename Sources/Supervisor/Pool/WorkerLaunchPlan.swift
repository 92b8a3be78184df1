import ControlProtocol

/// How the pool's slots, their workers' command lines and their restart policy follow from the configuration.
/// A value computed from the configuration alone, so that a reload's diff and a test can read it.
struct WorkerLaunchPlan {
    let config: SupervisorConfig
    /// The `vkserve-worker` executable.
    let workerBinary: String
    /// The workers' environment (systemd's variables already removed).
    let environment: [String: String]

    /// The primary slots: `vulkan-0…`, then `cpu-0…`. CPU stand-ins are added by failover, not here.
    var slots: [Slot] {
        let vulkan = (0 ..< config.workers.vulkan).map {
            Slot(name: "vulkan-\($0)", role: .primary, launch: launch(.vulkan), policy: restartPolicy)
        }
        let cpu = (0 ..< config.workers.cpu).map {
            Slot(name: "cpu-\($0)", role: .primary, launch: launch(.cpu), policy: restartPolicy)
        }
        return vulkan + cpu
    }

    /// A worker's command line; the pool fills in the socket path of each incarnation.
    func launch(_ backend: WorkerLaunch.Backend) -> WorkerLaunch {
        let c = config
        var arguments = [
            "--model", c.model.path, "--backend", backend.rawValue,
            "--slots", "\(c.model.slots)", "--context", "\(c.model.context)",
            "--threads", "\(c.workers.threads)", "--batch-tokens", "\(c.model.batchTokens)",
            "--prefill-chunk", "\(c.model.prefillChunk)",
            "--step-tokens", "\(c.model.stepTokens)",
            "--step-target-ms", "\(c.model.stepTarget.seconds * 1000)",
            "--heartbeat-interval", "\(c.health.heartbeatInterval.seconds)",
            "--shutdown-grace", "\(c.restart.drainTimeout.seconds)",
        ]
        if !c.model.prefixCache { arguments.append("--no-prefix-cache") }
        if let template = c.model.chatTemplate { arguments += ["--chat-template", template] }
        if backend == .vulkan, let device = c.workers.device { arguments += ["--device", "\(device)"] }
        if backend == .vulkan, !c.workers.softwareVulkan { arguments.append("--hardware-only") }
        return WorkerLaunch(backend: backend, executable: workerBinary, socketPath: "", arguments: arguments,
                            environment: environment)
    }

    var restartPolicy: RestartPolicy {
        let r = config.restart
        return RestartPolicy(initial: r.backoffInitial, maximum: r.backoffMax, fatalAfter: r.fatalAfter,
                             fatalRetry: r.fatalRetry, stableAfter: r.stableAfter)
    }
}
